"""Reconciliation: make the journal agree with the venue, or refuse to trade.

At start-up and every few cycles: look up orders whose outcome is unknown by client id; adopt live orders
carrying our client-id prefix that the journal lacks; record fills and funding that happened while the bot was
down (idempotent: keyed by the venue's ids; nothing from before the journal's first run); then compare each
hedge instrument's position with what the journal explains (baseline + the bot's own fills: a manual trade or
a liquidation is not explained). A difference the journal cannot explain stops trading
(``ReconciliationError``) unless the operator asked to adopt the venue's position as a new baseline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from bot.clock import Clock
from bot.domain import Market, Order, Position, is_ours
from bot.errors import DataError, ReconciliationError
from bot.exchange.port import ExchangePort
from bot.execution.executor import Executor
from bot.journal.writer import Journal

log = structlog.get_logger(__name__)

# Fills are re-read from a little before the newest one recorded: the venue may publish late executions.
SYNC_OVERLAP = timedelta(minutes=5)
# Fills and positions are read twice before a difference counts: a fill landing between the sync and the position
# read of the first pass is recorded by the second; a difference the journal cannot explain stays.
RECONCILE_READS = 2


@dataclass(frozen=True, slots=True)
class Discrepancy:
    symbol: str
    venue_contracts: Decimal
    journal_contracts: Decimal
    mark_price: Decimal | None = None  # the position's mark when read (an adopted position's PnL starts there)

    def describe(self) -> str:
        return (
            f"{self.symbol}: the venue holds {self.venue_contracts} contracts, the journal explains "
            f"{self.journal_contracts}"
        )


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    adopted_orders: tuple[str, ...] = ()
    new_fills: int = 0
    new_funding: int = 0
    adopted_positions: tuple[Discrepancy, ...] = ()
    discrepancies: tuple[Discrepancy, ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        return not self.discrepancies


@dataclass(frozen=True, slots=True)
class Synced:
    new_fills: int = 0
    new_funding: int = 0
    # Instruments whose fills or funding could not be read (a malformed reply), with why: nothing of theirs was
    # recorded, and they are not traded until a read succeeds (their turnover and position are not known).
    unreadable: Mapping[str, str] = field(default_factory=dict)


async def sync_history(
    port: ExchangePort, journal: Journal, symbols: Iterable[str], markets: Mapping[str, Market], *, now: datetime
) -> Synced:
    """Record fills and funding payments on ``symbols`` not seen before: one read of each for all the instruments
    (the port asks the venue once per category where it can), from the newest one recorded on any of them, less
    ``SYNC_OVERLAP`` (the venue may publish late), or from the journal's first run on the venue.

    A read either records all it returned or nothing: a malformed reply holds every instrument it covered, so the
    newest recorded fill never moves past one that could not be read yet.
    """
    wanted = sorted(set(symbols))
    if not wanted:
        return Synced()
    watched_since = journal.first_run_at(port.venue) or now  # nothing before the journal began is ours
    last_fill = journal.latest_fill_at(port.venue, wanted)
    last_funding = journal.latest_funding_at(port.venue, wanted)
    try:
        fills = await port.fetch_my_trades(wanted, since=last_fill - SYNC_OVERLAP if last_fill else watched_since)
        payments = await port.fetch_funding_payments(
            wanted, since=last_funding - SYNC_OVERLAP if last_funding else watched_since
        )
    except DataError as exc:  # the append-only journal takes nothing from a malformed reply
        log.warning("journal.sync_refused", symbols=wanted, error=str(exc))
        return Synced(unreadable=dict.fromkeys(wanted, f"its fills or funding could not be read: {exc}"))
    new_fills = journal.record_fills(port.venue, fills, markets)
    new_funding = journal.record_funding(port.venue, payments)
    if new_fills or new_funding:
        log.info("journal.synced", fills=new_fills, funding=new_funding, at=now)
    return Synced(new_fills, new_funding)


async def reconcile(
    port: ExchangePort,
    journal: Journal,
    executor: Executor,
    clock: Clock,
    *,
    symbols: Iterable[str],
    markets: Mapping[str, Market],
    run_id: str,
    adopt_positions: bool = False,
) -> ReconcileReport:
    """Bring the journal up to date with the venue; raise ReconciliationError on an unexplained position."""
    symbols = sorted(set(symbols))
    await executor.resolve_unknown()
    open_orders = await port.fetch_open_orders(symbols)
    adopted = _adopt_orders(journal, port.venue, open_orders, run_id)
    await executor.sync_orders(open_orders)
    new_fills = new_funding = 0
    for _ in range(RECONCILE_READS):  # a resting order may fill between the fill sync and the position read
        synced = await sync_history(port, journal, symbols, markets, now=clock.now())
        new_fills, new_funding = new_fills + synced.new_fills, new_funding + synced.new_funding
        readable = [s for s in symbols if s not in synced.unreadable]  # the others are held until read
        differences = _differences(journal, port.venue, readable, await port.fetch_positions(symbols))
        if not differences:
            break
    adopted_positions: tuple[Discrepancy, ...] = ()
    if differences and adopt_positions:
        now = clock.now()
        for difference in differences:
            journal.record_position_baseline(
                port.venue,
                difference.symbol,
                difference.venue_contracts,
                as_of=now,
                reason="adopted by the operator (--adopt)",
                run_id=run_id,
                price=difference.mark_price,
            )
            log.warning("reconcile.position_adopted", symbol=difference.symbol, contracts=difference.venue_contracts)
        adopted_positions, differences = tuple(differences), []
    report = ReconcileReport(adopted, new_fills, new_funding, adopted_positions, tuple(differences))
    log.info(
        "reconcile.done",
        adopted_orders=len(adopted),
        new_fills=new_fills,
        new_funding=new_funding,
        discrepancies=[d.describe() for d in report.discrepancies],
    )
    if not report.clean:
        raise ReconciliationError(
            "positions differ from what the journal explains: "
            + "; ".join(d.describe() for d in report.discrepancies)
            + ". Check the account for trades made outside hedgebot; to take the venue's positions as they are, "
            "run again with --adopt."
        )
    return report


def _differences(
    journal: Journal, venue: str, symbols: Iterable[str], positions: Mapping[str, Position]
) -> list[Discrepancy]:
    explained = {p.symbol: p.contracts for p in journal.explained_positions() if p.venue == venue}
    return [
        Discrepancy(
            symbol, positions[symbol].contracts, explained.get(symbol, Decimal(0)), positions[symbol].mark_price
        )
        for symbol in symbols
        if symbol in positions and positions[symbol].contracts != explained.get(symbol, Decimal(0))
    ]


def _adopt_orders(journal: Journal, venue: str, open_orders: Iterable[Order], run_id: str) -> tuple[str, ...]:
    adopted = []
    for order in open_orders:
        cid = order.client_order_id
        if not is_ours(cid):
            continue
        assert cid is not None
        known = journal.order(cid)
        if known is None or known.status is None:
            journal.adopt_order(venue, order, run_id=run_id, detail="live at the venue, missing from the journal")
            adopted.append(cid)
            log.warning("reconcile.order_adopted", client_order_id=cid, symbol=order.symbol)
    return tuple(adopted)
