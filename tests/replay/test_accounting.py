"""Specification of the replay's accounting: the hedged value it reports is the simulator's own ledger, to the cent,
at every step.

The replay rebuilds the hedge's money from what the bot reads through its port (fills as cash flows, positions at
mark, funding payments, fees). The simulator keeps its own books (the USDT wallet, which realised PnL, fees and
funding change, and each position's unrealised PnL). Both must agree on every step of a replay through a crash that
fills orders and settles funding.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.replay.run import Progress
from bot.replay.session import Session
from hedgesim import SimExchange
from hedgesim.instruments import Category
from tests.replay.factories import cascade_replay

pytestmark = pytest.mark.e2e

CENT = Decimal("0.01")
HOLDINGS = {"SOL": Decimal(150), "ETH": Decimal(4), "BTC": Decimal("0.2")}  # the account's coins and the wallet's BTC


def ledger(engine: SimExchange, usdt_at_start: Decimal) -> tuple[Decimal, Decimal]:
    """(spot value, hedge PnL) from the simulator's books: holdings at the spot mid; the USDT wallet's change plus
    every open position's unrealised PnL."""
    spot = Decimal(0)
    for asset, quantity in HOLDINGS.items():
        quote = engine.quote(Category.SPOT, f"{asset}USDT")
        spot += quantity * (quote.bid.price + quote.ask.price) / 2
    wallet = next(row.wallet for row in engine.balances() if row.coin == "USDT")
    unrealised = sum((engine.position(f"{base}USDT").unrealised for base in ("SOL", "ETH", "BTC")), Decimal(0))
    return spot, wallet - usdt_at_start + unrealised


async def test_replay_when_a_crash_fills_orders_and_settles_funding_then_hedged_value_is_the_ledger_to_the_cent(
    tmp_path: Path,
) -> None:
    session = Session(cascade_replay(tmp_path, hours=4.5))
    checked: list[tuple[Decimal, Decimal]] = []

    def check(progress: Progress) -> None:
        spot, hedge_pnl = ledger(session.engine, Decimal(60_000))
        step = progress.step
        assert step.spot_value.quantize(CENT) == spot.quantize(CENT), f"spot value at {step.at}"
        assert step.hedge_pnl.quantize(CENT) == hedge_pnl.quantize(CENT), f"hedge PnL at {step.at}"
        assert step.hedged_value.quantize(CENT) == (spot + hedge_pnl).quantize(CENT)
        checked.append((step.fees, step.funding))

    try:
        recording = await session.run(check)
    finally:
        session.close()
    assert len(checked) == len(recording.steps) == 271
    fees, funding = checked[-1]
    assert fees > 0, "no fill was checked: the replay must trade"
    assert funding != 0, "no funding was checked: the replay must hold a short through a settlement"
    assert any(step.perp_pnl != 0 for step in recording.steps)
