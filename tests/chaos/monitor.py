"""The chaos run's invariants, checked every few seconds while the bot runs, and once more after it stopped.

Each tick reads the venue (in-process, so nothing moves while it reads) and then the journal, read-only:

- at once, over what is new since the last tick: one live order per intent, post-only, reductions reduce-only,
  never long, leverage, every configured limit (``tests.support.invariants``), and no halt;
- once the bot has had a chance to catch up (two cycles journaled since anything last disturbed it, the process
  alive): every venue fill in the journal exactly once, every journal order on the venue or explained, every
  position explained;
- the band: each hedge's position (the venue's) against its target from the holdings; out of band for longer
  than ``bound`` seconds with nothing disturbing the bot is a violation, and the time out of band is tallied.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from bot.clock import utc_from_ms
from bot.config import AppConfig
from bot.domain import TradingState, is_ours
from bot.errors import JournalError
from bot.journal import open_reader
from bot.journal.records import JournalFill, JournalOrder
from hedgesim import SimServer
from hedgesim.bybit.app import RequestRecord
from hedgesim.instruments import Category
from tests.chaos.world import World
from tests.support.invariants import (
    CREATE,
    LINK_ID,
    TICKERS,
    Invariant,
    VenueHistory,
    Violation,
    double_live_orders,
    holdings_at,
    journal_disagreements,
    limit_breaches,
    venue_symbol,
)

ZERO = Decimal(0)
SETTLE_CYCLES = 2  # journaled cycles after the last disturbance before the journal must agree with the venue
KEPT = (CREATE, TICKERS)  # requests the checks need: order creations, and the bot's reads of the marks


@dataclass(frozen=True, slots=True)
class JournalView:
    """What the journal held at one moment."""

    orders: tuple[JournalOrder, ...]
    fills: tuple[JournalFill, ...]
    explained: dict[str, Decimal]  # per venue symbol
    decided_ms: dict[str, float]  # client order id -> when the risk gate approved its intent
    priced_ms: dict[str, float]  # client order id -> when the risk gate last approved its price (a re-price's)
    cycles_since: int  # cycles journaled after the last disturbance
    last_cycle_ms: int | None
    stopped_ms: int | None  # when the newest run was recorded as ended, if it was
    halted: str | None  # the trading state's detail, when HALTED


@dataclass(slots=True)
class BandTally:
    out_of_band_seconds: float = 0.0  # simulated
    longest_recovery: float = 0.0  # wall seconds from the last disturbance back into the band
    episode_start: float | None = None  # wall seconds: out of band since
    reported: bool = False


@dataclass(slots=True)
class Monitor:
    sim: SimServer
    world: World
    config: AppConfig
    journal: Path
    speed: float
    bound: float  # wall seconds the bot may stay out of band once nothing disturbs it
    violations: list[Violation] = field(default_factory=list)
    band: BandTally = field(default_factory=BandTally)
    checks: int = 0  # ticks that checked the journal against the venue
    _requests: list[RequestRecord] = field(default_factory=list)  # the checks' requests, kept past the sim's log
    _seq: int = 0
    _checked: set[str] = field(default_factory=set)  # venue order and execution ids checked at their creation
    _last_tick: float | None = None
    _seen: set[str] = field(default_factory=set)

    @property
    def symbols(self) -> list[str]:
        return sorted(self.world.holdings)

    def tick(self, now: float, alive: bool) -> list[Violation]:
        """Check what is new; returns the violations not seen before (also kept in ``violations``)."""
        history = self._history()
        view = self._journal_view()
        found = self._order_checks(history, view)
        self._checked.update(o.order_id for o in history.orders)
        self._checked.update(t.exec_id for t in history.trades)
        if view.halted is not None:
            found.append(Violation(Invariant.KEEPS_TRADING, f"the bot halted: {view.halted}"))
        if alive and view.cycles_since >= SETTLE_CYCLES and view.last_cycle_ms is not None:
            found += self._agreement(history, view, view.last_cycle_ms)
        found += self._band_check(history, now)
        return self._new(found)

    def _order_checks(self, history: VenueHistory, view: JournalView) -> list[Violation]:
        """One live order per intent, and the limits, on the orders and fills not checked before."""
        return [
            *double_live_orders(history, view.orders),
            *limit_breaches(
                history,
                self.world.holdings,
                self.config,
                checked=self._checked,
                decided_ms=view.decided_ms,
                priced_ms=view.priced_ms,
            ),
        ]

    def final(self, now: float) -> list[Violation]:
        """After the bot stopped (its last sync done): everything, the journal against the venue included."""
        history = self._history()
        view = self._journal_view()
        found = self._order_checks(history, view)
        if view.stopped_ms is None or view.last_cycle_ms is None:
            found.append(Violation(Invariant.KEEPS_TRADING, "the bot's last run was never recorded as ended"))
        else:
            found += self._agreement(history, view, view.stopped_ms)
        if view.halted is not None:
            found.append(Violation(Invariant.KEEPS_TRADING, f"the bot halted: {view.halted}"))
        return self._new(found)

    def add(self, violation: Violation) -> None:
        self._new([violation])

    def in_band(self) -> bool:
        return self.band.episode_start is None

    # -- pieces ---------------------------------------------------------------------------------------------

    def _new(self, found: list[Violation]) -> list[Violation]:
        new = [v for v in found if str(v) not in self._seen]
        self._seen.update(str(v) for v in new)
        self.violations += new
        return new

    def _history(self) -> VenueHistory:
        for record in self.sim.requests:  # the simulator's log is bounded: keep what the checks read in it
            if record.seq > self._seq and (record.path in KEPT or LINK_ID in record.params):
                self._requests.append(record)
        self._seq = max((r.seq for r in self.sim.requests), default=self._seq)
        return VenueHistory.read(self.sim, self.symbols, self._requests, self.world.mark)

    def _agreement(self, history: VenueHistory, view: JournalView, read_ms: float) -> list[Violation]:
        """The journal against the venue, as of the bot's last look (fills before ``read_ms`` must be in)."""
        self.checks += 1
        read = replace(history, trades_read_ms=dict.fromkeys(self.symbols, read_ms))
        last = utc_from_ms(view.last_cycle_ms or 0)
        return journal_disagreements(read, view.orders, view.fills, view.explained, last)

    def _journal_view(self) -> JournalView:
        try:
            reader = open_reader(self.journal)
        except JournalError:  # not created yet, or the bot is writing its schema
            return JournalView((), (), {}, {}, {}, 0, None, None, None)
        with reader:
            orders = tuple(reader.orders(limit=10_000_000))
            fills = tuple(reader.fills(limit=10_000_000))
            explained = {venue_symbol(p.symbol): p.contracts for p in reader.explained_positions()}
            state = reader.latest_risk_state()
        conn = sqlite3.connect(f"{self.journal.resolve().as_uri()}?mode=ro", uri=True)
        try:
            decided = dict(  # when the risk gate approved each order's intent, from the cycle's snapshot
                conn.execute(
                    "SELECT o.client_order_id, MIN(r.at_ms) FROM orders o JOIN risk_decisions r"
                    " ON r.intent_id = o.intent_id AND r.stage = 'plan' GROUP BY o.client_order_id"
                ).fetchall()
            )
            priced = dict(  # when the gate last approved each order's price before it was sent: the plan's, or
                # a re-price's re-check against the mark read with its fresh book
                conn.execute(
                    "SELECT o.client_order_id, MAX(r.at_ms) FROM orders o JOIN risk_decisions r"
                    " ON r.intent_id = o.intent_id AND r.approved = 1 AND r.at_ms <= o.at_ms"
                    " GROUP BY o.client_order_id"
                ).fetchall()
            )
            since = int(self.world.disturbed_until * 1000)
            # Cycles since: each written in full, and at least the last of each run of unchanged cycles.
            cycles_since = conn.execute(
                "SELECT (SELECT COUNT(*) FROM cycles WHERE at_ms > ?) + (SELECT COUNT(*) FROM unchanged_cycles"
                " WHERE last_ms > ?)",
                (since, since),
            ).fetchone()[0]
            last_cycle = conn.execute(
                "SELECT MAX(at) FROM (SELECT MAX(at_ms) AS at FROM cycles UNION ALL"
                " SELECT MAX(last_ms) FROM unchanged_cycles)"
            ).fetchone()[0]
            stopped = conn.execute(
                "SELECT s.stopped_ms FROM runs r LEFT JOIN run_stops s ON s.run_id = r.run_id"
                " ORDER BY r.started_ms DESC, r.rowid DESC LIMIT 1"
            ).fetchone()
        finally:
            conn.close()
        halted = None
        if state is not None and state.trading is TradingState.HALTED:
            halted = state.detail or str(state.cause)
        return JournalView(
            orders, fills, explained, decided, priced, cycles_since, last_cycle, stopped[0] if stopped else None, halted
        )

    def _band_check(self, history: VenueHistory, now: float) -> list[Violation]:
        """Tally the time out of band; out of band ``bound`` seconds after the last disturbance is a violation."""
        band = self.config.execution.band
        engine = self.sim.engine
        out = []
        for symbol in self.symbols:
            lot = engine.instrument(Category.LINEAR, symbol).qty_step
            held = holdings_at(self.world.holdings[symbol], engine.now_ms()) * self.config.policy.ratio
            target = -(held / lot).to_integral_value(ROUND_DOWN) * lot
            position = history.positions.get(symbol, ZERO)
            if abs(position - target) > band * abs(target) + lot:
                out.append(f"{symbol} {position} against a target of {target}")
        tally, found = self.band, list[Violation]()
        if self._last_tick is not None and tally.episode_start is not None:
            tally.out_of_band_seconds += (now - self._last_tick) * self.speed
        self._last_tick = now
        if not out:
            if tally.episode_start is not None:
                recovered = now - max(tally.episode_start, self.world.disturbed_until)
                tally.longest_recovery = max(tally.longest_recovery, recovered)
            tally.episode_start, tally.reported = None, False
            return found
        if tally.episode_start is None:
            tally.episode_start = now
        calm_for = now - max(tally.episode_start, self.world.disturbed_until)
        if calm_for > self.bound and not tally.reported:
            tally.reported = True
            found.append(
                Violation(
                    Invariant.BACK_IN_BAND,
                    f"out of band for {calm_for:.0f} s with nothing disturbing the bot: {'; '.join(out)}",
                )
            )
        return found


def our_orders(history: VenueHistory) -> int:
    return sum(1 for o in history.orders if is_ours(o.link_id))
