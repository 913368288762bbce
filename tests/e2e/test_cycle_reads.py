"""End to end: what a cycle reads, and in which order (from the simulator's request log)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.harness import running_bot

pytestmark = pytest.mark.e2e
D = Decimal

ACCOUNT = ("/v5/execution/list", "/v5/position/list", "/v5/order/realtime", "/v5/account/wallet-balance")


async def test_cycle_when_it_prices_orders_then_books_and_marks_were_read_last_and_together(tmp_path: Path) -> None:
    async with running_bot(tmp_path, balances={"USDT": D(40000), "SOL": D(100)}) as bot:
        seen = max(r.seq for r in bot.sim.requests)
        outcome = await bot.cycle()
        assert outcome.placed >= 1
        cycle = [r for r in bot.sim.requests if r.seq > seen]
        created = min(i for i, r in enumerate(cycle) if r.path == "/v5/order/create")
        before = cycle[:created]
        paths = [r.path for r in before]
        linear_tickers = [i for i, r in enumerate(before) if r.path == "/v5/market/tickers" and
                          r.params.get("category") == "linear"]  # fmt: skip
        books = [i for i, path in enumerate(paths) if path == "/v5/market/orderbook"]
        account = [i for i, path in enumerate(paths) if path in ACCOUNT]
        assert len(linear_tickers) == len(books) == 1  # one ticker request for the mark (funding with it), one book
        # every account, position and history read came before the market's, and nothing between book and mark
        assert max(account) < min(linear_tickers + books)
        assert abs(linear_tickers[0] - books[0]) == 1
