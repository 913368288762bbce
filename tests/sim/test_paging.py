"""Specification of paging: a cursor names the last row served, so rows that arrive between pages neither repeat
nor hide others (an offset would serve the first page's rows again after new ones were added in front)."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt
import pytest

from hedgesim import SimServer

pytestmark = pytest.mark.e2e

SOL = "SOL/USDT:USDT"


async def rest(client: Any, price: float, link_id: str) -> None:
    await client.create_order(SOL, "limit", "sell", 1, price, {"postOnly": True, "clientOrderId": link_id})


async def walk(client: Any, call: str, params: dict[str, Any], between: Any = None) -> list[str]:
    """Every page's ids, following nextPageCursor; ``between`` runs after the first page."""
    ids, cursor = [], None
    while True:
        result = (await getattr(client, call)(params | ({"cursor": cursor} if cursor else {})))["result"]
        ids += [row.get("orderLinkId") or row["execId"] for row in result["list"]]
        cursor = result["nextPageCursor"]
        if between is not None:
            await between()
            between = None
        if not cursor:
            return ids


async def test_open_orders_when_new_ones_arrive_between_pages_then_none_repeats_and_none_is_skipped(
    client: Any,
) -> None:
    for n in range(5):
        await rest(client, 231 + n, f"old{n}")

    async def newer() -> None:
        for n in range(2):
            await rest(client, 240 + n, f"new{n}")

    seen = await walk(client, "privateGetV5OrderRealtime", {"category": "linear", "settleCoin": "USDT", "limit": 2},
                      newer)  # fmt: skip
    assert sorted(seen) == sorted(f"old{n}" for n in range(5))  # the newer ones sort before the cursor: next walk
    assert len(seen) == len(set(seen))


async def test_executions_when_fills_arrive_between_pages_then_each_older_fill_is_served_once(
    sim: SimServer, client: Any
) -> None:
    for _ in range(5):
        await client.create_order(SOL, "market", "sell", 1)
    older = {e.exec_id for e in sim.engine.executions}

    async def more_fills() -> None:
        for _ in range(3):
            await client.create_order(SOL, "market", "sell", 1)

    seen = await walk(client, "privateGetV5ExecutionList", {"category": "linear", "limit": 2}, more_fills)
    assert set(seen) == older
    assert len(seen) == len(older)


async def test_cursor_when_malformed_then_params_error(client: Any) -> None:
    with pytest.raises(ccxt.BadRequest, match="10001"):
        await client.privateGetV5ExecutionList({"category": "linear", "cursor": "not-a-cursor"})
