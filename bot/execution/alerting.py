"""What a run tells the people watching it: its events and conditions as alerts, through the ``AlertSink`` it holds.

``RunAlerts`` is the one place the running bot alerts from; the run, its cycles and its dead-man's switch call it,
and it hands events to the sink (the notifier queues them: nothing here awaits a delivery). What it sends:

- **halted** (and why) when the trading state becomes HALTED; **resumed** when it leaves HALTED;
- **reconciliation mismatch** when the venue holds what the journal cannot explain (a refused start, or a halt);
  cleared by the next reconciliation that passes;
- **dead-man's switch failed to arm**; cleared when it arms again;
- **holding vanished** (``bot.execution.vanished`` sends it through ``notify``): a hedged coin missing from a
  wallet's reply, its hedge held; cleared when it is listed again or confirmed gone;
- **venue unreachable** when the venue cannot be read for ``risk.max_outage`` (``bot.execution.outage`` sends it
  through ``notify``); **venue reachable**, which clears it, when reads succeed again;
- each cycle that read the venue: **limit blocked**, **liquidation distance**, **margin low**, **funding cost** and
  **orders rejected repeatedly** (``bot.alerts.conditions``), each reported as a family: a condition alerts when it
  starts (the notifier holds repeats back, one alert per condition) and is cleared in the first cycle it no longer
  holds, so it alerts again if it comes back. A skipped or halted cycle changes no condition;
- the **daily summary** at ``alerts.daily_summary_time`` (UTC), at the first cycle after it: the status report's
  figures (``bot.execution.status``) over the 24 hours before.

Across restarts (``restarted``, at the end of start-up): the conditions an earlier run alerted and did not clear
are in the journal (the notifier's ``ConditionStore``), so they are not alerted again while they last; one that
ended while the bot was down is cleared: a halt lifted sends **resumed**, a venue outage over (the start-up read the
venue) sends **venue reachable**, and a cycle condition is cleared by the first cycle in which it no longer holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from bot.alerts import events
from bot.alerts.conditions import RejectionCounter, limits_blocked, position_conditions, summary_figures
from bot.alerts.events import HALTED_KEY, AlertEvent, AlertKind
from bot.alerts.schedule import SummarySchedule
from bot.alerts.settings import AlertSettings
from bot.alerts.sink import AlertSink, NoAlerts
from bot.clock import Clock
from bot.core.plan import Plan
from bot.domain import Snapshot, TradingState
from bot.execution.executor import Outcome, Placement
from bot.execution.status import status_view
from bot.journal.reader import JournalReader
from bot.risk.decision import RiskDecision
from bot.risk.state import Transition
from bot.settings import Settings

log = structlog.get_logger(__name__)

# the families of conditions each cycle reports (``RunAlerts._report``), and the kinds of their alerts
_LIMITS, _REJECTIONS, _POSITIONS = "limits", "rejections", "positions"
_FAMILIES: dict[str, str] = {
    AlertKind.LIMIT_BLOCKED: _LIMITS,
    AlertKind.ORDERS_REJECTED_REPEATEDLY: _REJECTIONS,
    AlertKind.LIQUIDATION_DISTANCE_LOW: _POSITIONS,
    AlertKind.MARGIN_LOW: _POSITIONS,
    AlertKind.FUNDING_COST_HIGH: _POSITIONS,
}


class RunAlerts:
    """A run's alerts, on ``sink`` under ``settings`` (None: no alerts configured: nothing is worked out or sent)."""

    def __init__(
        self, sink: AlertSink, settings: AlertSettings | None, run: Settings, journal: JournalReader, clock: Clock
    ) -> None:
        self._sink = sink
        self._settings = settings if settings is not None and settings.enabled and settings.destinations else None
        self._venue = run.venue.name
        self._margin_mode = run.execution.margin_mode
        self._journal = journal
        self._clock = clock
        self._held: dict[str, frozenset[str]] = {}  # the keys each family of conditions alerted and not cleared
        self._rejections = RejectionCounter(self._settings.levels) if self._settings else None
        at = self._settings.daily_summary_time if self._settings else None
        self._summary = SummarySchedule(at, clock) if at is not None else None
        self._configured = settings

    @classmethod
    def none(cls, run: Settings, journal: JournalReader, clock: Clock) -> RunAlerts:
        return cls(NoAlerts(), None, run, journal, clock)

    def describe(self) -> str:
        """One line for the start-up banner: where alerts go, by destination name and kind (never a secret)."""
        configured = self._configured
        if configured is None or not configured.destinations:
            return "alerts: none (no [alerts.destinations] configured)"
        if not configured.enabled:
            return "alerts: off (alerts.enabled = false)"
        where = ", ".join(f"{d.name} ({d.kind.value})" for d in configured.destinations)
        summary = configured.daily_summary_time
        daily = f"; daily summary at {summary:%H:%M} UTC" if summary is not None else ""
        return f"alerts: to {where}; {configured.min_severity.value} and above{daily}"

    # -- the sink's own two calls, for any part of the run that has an event of its own --------------------------

    def notify(self, event: AlertEvent) -> None:
        if self._settings is not None:
            self._sink.notify(event)

    def clear(self, key: str) -> None:
        if self._settings is not None:
            self._sink.clear(key)

    # -- events ----------------------------------------------------------------------------------------------

    def state_changed(self, changes: Sequence[Transition]) -> None:
        now = self._clock.now()
        for change in changes:
            before, after = change.before.trading, change.after.trading
            if after is TradingState.HALTED and before is not TradingState.HALTED:
                self.notify(events.halted(f"{change.event.trigger.value}: {change.event.detail}", at=now))
            elif before is TradingState.HALTED and after is not TradingState.HALTED:
                self.notify(events.resumed(at=now))

    def reconciliation_failed(self, detail: str) -> None:
        self.notify(events.reconciliation_mismatch(detail, at=self._clock.now()))

    def reconciled(self) -> None:
        self.clear(events.reconciliation_key())

    def switch_armed(self, error: str | None) -> None:
        """The venue's dead-man's switch armed (``error`` None) or not."""
        if error is None:
            self.clear(events.deadman_key(self._venue))
        else:
            self.notify(events.deadman_arm_failed(self._venue, error, at=self._clock.now()))

    def restarted(self, trading: TradingState) -> None:
        """At the end of start-up (the venue read, ``trading`` the state restored): the conditions an earlier run
        alerted and did not clear, as they stand now (see the module's rules)."""
        if self._settings is None:
            return
        now = self._clock.now()
        for condition in self._journal.open_alert_conditions():
            family = _FAMILIES.get(condition.kind)
            if family is not None:  # the first cycle clears it unless it still holds
                self._held[family] = self._held.get(family, frozenset()) | {condition.key}
            elif condition.key == HALTED_KEY and trading is not TradingState.HALTED:
                self.notify(events.resumed(at=now))
            elif condition.key == events.venue_unreachable_key(self._venue):
                self.notify(events.venue_reachable(self._venue, None, at=now))

    # -- a cycle's conditions --------------------------------------------------------------------------------

    def cycle(
        self, snapshot: Snapshot, plan: Plan, denied: Sequence[RiskDecision], placements: Sequence[Placement]
    ) -> None:
        """The conditions after one cycle that read the venue, and the daily summary when it is due."""
        settings, rejections = self._settings, self._rejections
        if settings is None or rejections is None:
            return
        now = self._clock.now()
        for placement in placements:
            if placement.outcome is Outcome.PLACED:
                rejections.accepted(placement.intent.symbol)
            elif placement.outcome is Outcome.REJECTED:
                rejections.rejected(placement.intent.symbol, placement.detail, at=now)
        self._report(_LIMITS, limits_blocked(denied, at=now))
        self._report(_REJECTIONS, rejections.conditions(at=now))
        self._report(_POSITIONS, position_conditions(snapshot, plan, settings.levels, self._margin_mode, at=now))
        if self._summary is not None and self._summary.due():
            self._send_summary(snapshot, plan)
            self._summary.sent()

    def _report(self, family: str, holding: Sequence[AlertEvent]) -> None:
        """The family's conditions holding now: each alerted (held back by the sink while it lasts), and those
        alerted before that no longer hold cleared."""
        keys = frozenset(e.key for e in holding if e.key is not None)
        for event in holding:
            self._sink.notify(event)
        for key in sorted(self._held.get(family, frozenset()) - keys):
            self._sink.clear(key)
        self._held[family] = keys

    def _send_summary(self, snapshot: Snapshot, plan: Plan) -> None:
        now = self._clock.now()
        since = now - events.SUMMARY_PERIOD
        try:
            view = status_view(self._venue, snapshot, plan, self._journal, self._margin_mode, day_start=since)
        except Exception:  # the summary must never disturb trading; the failure is logged with its traceback
            log.exception("alert.summary_failed")
            return
        self._sink.notify(events.daily_summary(summary_figures(view.report, now), at=now))
