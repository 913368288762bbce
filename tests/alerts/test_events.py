"""Specification of alert events: the severity order and what each kind's condition key and clearing are."""

from __future__ import annotations

import pytest

from bot.alerts import events
from bot.alerts.events import HALTED_KEY, RESUMED_KEY, AlertKind, Severity
from tests.alerts.factories import NOON, crash_day_summary, kill_switch_halt, sol_limit_blocked


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (Severity.INFO, Severity.WARNING),
        (Severity.WARNING, Severity.CRITICAL),
        (Severity.INFO, Severity.CRITICAL),
    ],
)
def test_severity_when_compared_then_info_below_warning_below_critical(low: Severity, high: Severity) -> None:
    assert low < high
    assert high > low
    assert low <= high
    assert not high <= low
    assert sorted([high, low]) == [low, high]


def test_severity_when_compared_with_a_plain_string_then_refused() -> None:
    with pytest.raises(TypeError):
        assert Severity.INFO < "warning"


def test_halted_and_resumed_when_built_then_each_clears_the_other() -> None:
    halt = kill_switch_halt()
    resume = events.resumed(at=NOON)
    assert (halt.kind, halt.severity, halt.key, halt.clears) == (
        AlertKind.HALTED,
        Severity.CRITICAL,
        HALTED_KEY,
        (RESUMED_KEY,),
    )
    assert (resume.key, resume.clears) == (RESUMED_KEY, (HALTED_KEY,))
    assert "kill switch" in halt.text


def test_condition_keys_when_built_then_one_per_condition_and_instrument() -> None:
    blocked = sol_limit_blocked()
    other_limit = events.limit_blocked("SOL/USDT:USDT", "risk.max_hedge_ratio", "ratio 1.1 above 1", at=NOON)
    other_symbol = events.limit_blocked("ETH/USDT:USDT", "risk.max_order_notional", "too big", at=NOON)
    assert len({blocked.key, other_limit.key, other_symbol.key}) == 3
    assert blocked.key == events.limit_blocked("SOL/USDT:USDT", "risk.max_order_notional", "x", at=NOON).key


def test_daily_summary_when_built_then_keyed_by_its_moment_and_carries_both_legs() -> None:
    summary = crash_day_summary()
    assert summary.key == "daily_summary:2026-03-02T08:00"
    assert summary.title == "Daily summary: the 24 hours to 2026-03-02 08:00 UTC"
    names = [f.name for f in summary.fields]
    assert names == [
        "holdings value",
        "hedge notional",
        "hedge ratio",
        "spot leg PnL",
        "hedge leg PnL",
        "funding (+ received, - paid)",
        "fees paid",
    ]


def test_test_event_when_built_then_never_held_back() -> None:
    assert events.alert_test_event(at=NOON).key is None


def test_venue_unreachable_and_reachable_when_built_then_each_clears_the_other_per_venue() -> None:
    down = events.venue_unreachable("main", NOON, "ExchangeUnavailable: 503", at=NOON)
    up = events.venue_reachable("main", NOON, at=NOON)
    elsewhere = events.venue_unreachable("backup", NOON, "ExchangeUnavailable: 503", at=NOON)
    assert (down.kind, down.severity, up.severity) == (AlertKind.VENUE_UNREACHABLE, Severity.WARNING, Severity.INFO)
    assert (down.clears, up.clears) == ((up.key,), (down.key,))
    assert elsewhere.key != down.key
