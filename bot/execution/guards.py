"""Guards against data that parses but cannot be trusted: what the venue's replies omit is never read as "none".

A venue reply can lose records without looking malformed (a position list that comes back empty, a wallet coin
without its name, which ccxt drops). Each cycle, before planning, the loop marks instruments whose data
contradicts what the bot knows, so that nothing is traded on them (``Snapshot.bad_data``, reason ``bad_data``):

- a position the venue reports flat while the journal explains one (the baseline plus our own fills): a lost
  position row reads as flat, and trading on it would hedge twice. Only flat: a position that differs otherwise
  can be a fill landing between the position read and the fill sync, and reconciliation (every few cycles)
  decides what a lasting difference means;
- a hedged wallet holding that its wallet's reply no longer lists: its hedge is kept as it is, never shrunk on
  missing data, until the wallet lists it again or it has been missing for ``holdings.vanished_confirm``
  (``bot.execution.vanished``, per asset and wallet, across restarts);
- the holdings of a holdings-only venue whose wallet could not be read this cycle (``unread_wallets``): counted at
  their last reading, and their hedges kept as they are, neither shrunk nor grown, until it reads again.

Orders the journal knows open and the venue's listing omits are the executor's (``Executor.sync_orders``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.core.cycle import hedge_policy
from bot.core.plan import Plan
from bot.domain import ZERO, HoldingSource, Snapshot
from bot.execution.wallets import HoldingsWallets
from bot.journal.writer import Journal
from bot.settings import CoreSettings


def vanished_positions(journal: Journal, venue: str, snapshot: Snapshot, symbols: Iterable[str]) -> dict[str, str]:
    """Instruments the venue reports flat though the journal explains a position, with a note saying so."""
    explained = {p.symbol: p.contracts for p in journal.explained_positions() if p.venue == venue}
    found = {}
    for symbol in sorted(set(symbols)):
        position = snapshot.positions.get(symbol)
        expected = explained.get(symbol, ZERO)
        if position is not None and position.is_flat and expected != ZERO:
            found[symbol] = (
                f"the venue reports no position, the journal explains {expected} contracts: not trading it until "
                "they agree (reconciliation decides)"
            )
    return found


def unread_wallets(last_plan: Plan | None, wallets: HoldingsWallets, core: CoreSettings) -> dict[str, str]:
    """Instruments to hold this cycle because the wallet of a holdings-only venue could not be read (as its last
    reading kept its holdings). They are the instruments the last plan hedged that venue's holdings on; before any
    plan, every instrument those holdings may be hedged on."""
    holds: dict[str, list[str]] = {}
    for venue, why in sorted(wallets.unread.items()):
        assets = sorted({h.asset for h in wallets.last(venue)})
        if not assets:
            continue
        source = HoldingSource.exchange(venue)
        if last_plan is None:
            instruments = set(hedge_policy(core).instruments(assets))
        else:
            instruments = {
                d.hedge.instrument
                for d in last_plan.holdings
                if d.hedge.instrument is not None and source in d.holding.sources
            }
        note = (
            f"the {venue} wallet could not be read ({why}): {', '.join(assets)} counted at the last reading and the "
            "hedge kept as it is until it reads again"
        )
        for instrument in instruments:
            holds.setdefault(instrument, []).append(note)
    return {instrument: "; ".join(notes) for instrument, notes in sorted(holds.items())}


def merged(*sources: Mapping[str, str]) -> dict[str, str]:
    """Notes per instrument from several guards, joined when more than one applies."""
    notes: dict[str, list[str]] = {}
    for source in sources:
        for symbol, note in source.items():
            notes.setdefault(symbol, []).append(note)
    return {symbol: "; ".join(items) for symbol, items in notes.items()}
