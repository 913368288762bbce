"""Specification of a run's alerts (bot.execution.alerting): trading-state changes, the dead-man's switch, the
venue's rejections in a row, and the start-up line that says where alerts go, on a recording sink."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.alerts.events import AlertEvent, AlertKind
from bot.alerts.settings import AlertSettings, DestinationKind
from bot.clock import ManualClock
from bot.config import parse_config
from bot.execution.alerting import RunAlerts
from bot.execution.executor import Outcome, Placement
from bot.risk.state import RiskState, StateEvent, Transition, Trigger, apply_events
from bot.settings.from_config import settings_for
from tests.alerts.factories import destination, settings
from tests.core.test_status import plan_for, sol_venue
from tests.factories import NOW
from tests.journal.factories import new_journal
from tests.risk.factories import SOL, sell

VENUE = '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8765"\n'


@dataclass
class RecordingSink:
    sent: list[AlertEvent] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)

    def notify(self, event: AlertEvent) -> None:
        self.sent.append(event)

    def clear(self, key: str) -> None:
        self.cleared.append(key)


def ops() -> AlertSettings:
    return settings(destination(DestinationKind.SLACK, "https://hooks.slack.com/services/T000/B000/secretsecret1234"))


def run_alerts(tmp_path: Path, configured: AlertSettings | None) -> tuple[RunAlerts, RecordingSink]:
    journal, _, _ = new_journal(tmp_path)
    sink = RecordingSink()
    run = settings_for(parse_config(tomllib.loads(VENUE), env={}), "main")
    return RunAlerts(sink, configured, run, journal, ManualClock(NOW)), sink


def changes(*triggers: Trigger) -> list[Transition]:
    _, found = apply_events(RiskState(), [StateEvent(t, f"{t.value} detail") for t in triggers])
    return list(found)


def test_state_changed_when_halted_then_resumed_then_one_alert_each_with_why(tmp_path: Path) -> None:
    alerts, sink = run_alerts(tmp_path, ops())
    alerts.state_changed(changes(Trigger.DAILY_TURNOVER_REACHED, Trigger.KILL_SWITCH, Trigger.OPERATOR_RESUME))
    assert [e.kind for e in sink.sent] == [AlertKind.HALTED, AlertKind.RESUMED]  # REDUCING is no halt
    assert sink.sent[0].fields[0].value == "kill_switch: kill_switch detail"


def test_switch_armed_when_it_fails_then_alerted_and_cleared_once_it_arms(tmp_path: Path) -> None:
    alerts, sink = run_alerts(tmp_path, ops())
    alerts.switch_armed("503 from the venue")
    alerts.switch_armed(None)
    (failed,) = sink.sent
    assert (failed.kind, failed.key) == (AlertKind.DEADMAN_ARM_FAILED, "deadman:main")
    assert "503 from the venue" in failed.text
    assert sink.cleared == ["deadman:main"]


def rejected() -> Placement:
    return Placement(sell("10"), Outcome.REJECTED, "hbx", detail="110007: not enough margin")


def test_cycle_when_the_venue_rejects_three_in_a_row_then_alerted_and_cleared_when_one_is_accepted(
    tmp_path: Path,
) -> None:
    alerts, sink = run_alerts(tmp_path, ops())
    venue = sol_venue()
    plan = plan_for(venue)
    for _ in range(3):
        alerts.cycle(venue, plan, [], [rejected()])
    assert [e.kind for e in sink.sent] == [AlertKind.ORDERS_REJECTED_REPEATEDLY]
    alerts.cycle(venue, plan, [], [Placement(sell("10"), Outcome.PLACED, "hby")])
    assert sink.cleared == [f"orders_rejected:{SOL}"]


def test_run_alerts_when_no_destination_is_configured_then_nothing_reaches_the_sink(tmp_path: Path) -> None:
    alerts, sink = run_alerts(tmp_path, None)
    alerts.state_changed(changes(Trigger.KILL_SWITCH))
    alerts.switch_armed("503")
    alerts.cycle(sol_venue(), plan_for(sol_venue()), [], [rejected()] * 5)
    assert (sink.sent, sink.cleared) == ([], [])


@pytest.mark.parametrize(
    ("configured", "line"),
    [
        (None, "alerts: none (no [alerts.destinations] configured)"),
        (settings(enabled=False), "alerts: none (no [alerts.destinations] configured)"),
        (
            settings(destination(DestinationKind.WEBHOOK, "https://example.org/secret"), enabled=False),
            "alerts: off (alerts.enabled = false)",
        ),
        (ops(), "alerts: to slack (slack); info and above"),
    ],
)
def test_describe_when_started_then_says_where_alerts_go_by_name_and_kind_never_the_url(
    tmp_path: Path, configured: AlertSettings | None, line: str
) -> None:
    alerts, _ = run_alerts(tmp_path, configured)
    assert alerts.describe() == line
    assert "secret" not in alerts.describe()
