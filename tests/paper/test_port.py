"""Specification of the dry run's port: the venue's reads, a paper venue's writes, and no way to the venue's writes."""

from __future__ import annotations

import gc
import inspect
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.domain import MarginMode, Side
from bot.errors import PostOnlyWouldTake, PreflightError, WriteRefused
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.ccxt_reader import CcxtReader
from bot.exchange.factory import build_reader
from bot.exchange.port import ExchangePort, OrderRequest, VenueReader
from bot.paper.port import PaperPort
from bot.settings.from_config import settings_for
from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from tests.e2e.harness import SOL, bot_config

pytestmark = pytest.mark.e2e
D = Decimal
WRITES = sorted(
    name
    for name, member in inspect.getmembers(ExchangePort)
    if inspect.iscoroutinefunction(member) and not hasattr(VenueReader, name)
)


@dataclass
class Dry:
    sim: SimServer
    engine: SimExchange
    port: PaperPort
    path: Path

    def writes_seen(self) -> list[str]:
        """Every request the venue saw that was not a read."""
        return [f"{r.method} {r.path}" for r in self.sim.requests if r.method != "GET"]

    def reopen(self, read_only: bool = False) -> PaperPort:
        return PaperPort(self.port._reader, self.path, self.engine.clock, read_only=read_only)


@asynccontextmanager
async def dry_run(tmp_path: Path, usdt: str = "40000") -> AsyncIterator[Dry]:
    """A paper port over the deterministic simulator (10 Oct 2025 sample), with ``usdt`` in its margin wallet."""
    engine = SimExchange.deterministic(SimConfig(balances={"USDT": D(usdt), "SOL": D(100)}, rate_limits=False))
    async with running_sim(engine=engine) as sim:
        config = bot_config(sim.url, tmp_path)
        reader = build_reader(settings_for(config, "main").venue, config.credentials("main"), engine.clock)
        port = PaperPort(reader, tmp_path / "journal.dry-run.venue.json", engine.clock)
        try:
            await port.load_markets()
            yield Dry(sim, engine, port, port.path)
        finally:
            await port.close()


def sell(price: Decimal, amount: str = "5", client_order_id: str = "hbtest0001") -> OrderRequest:
    return OrderRequest(SOL, Side.SELL, D(amount), price, client_order_id, reduce_only=False)


def reachable(root: object) -> list[object]:
    """Every object reachable from ``root`` through references (attributes, containers, closures), short of
    modules and their globals: what the object holds, not what the whole process does (other tests' leftovers)."""
    globals_ = {id(vars(module)) for module in list(sys.modules.values()) if module is not None}
    seen: dict[int, object] = {}
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or id(item) in globals_ or isinstance(item, type | str | bytes | int | float | ModuleType):
            continue
        seen[id(item)] = item
        stack.extend(gc.get_referents(item))
    return list(seen.values())


async def test_dry_run_port_when_built_then_nothing_in_it_reaches_a_write_of_the_real_port(tmp_path: Path) -> None:
    async with dry_run(tmp_path) as dry:
        graph = reachable(dry.port)
        assert WRITES == [
            "arm_cancel_switch",
            "cancel_order",
            "disarm_cancel_switch",
            "ensure_one_way_mode",
            "place_order",
            "set_leverage",
            "set_margin_mode",
        ]
        assert not [item for item in graph if isinstance(item, CcxtExchange)]  # the write half is never built
        readers = [item for item in graph if isinstance(item, CcxtReader)]
        assert readers  # the venue's read half, and nothing else of the venue's
        assert all(not hasattr(reader, name) for reader in readers for name in WRITES)


async def test_dry_run_reader_when_ccxt_itself_is_asked_to_write_then_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    async with dry_run(tmp_path) as dry:
        (reader,) = [item for item in reachable(dry.port) if isinstance(item, CcxtReader)]
        with pytest.raises(WriteRefused, match="refused POST"):
            await reader.perp.create_order(SOL, "limit", "sell", 1, 300, {"postOnly": True})
        with pytest.raises(WriteRefused):
            await reader.perp.set_leverage(2, SOL)
        assert dry.writes_seen() == []


async def test_paper_port_when_every_write_is_made_then_the_venue_sees_none(tmp_path: Path) -> None:
    async with dry_run(tmp_path) as dry:
        await dry.port.ensure_one_way_mode(SOL)
        await dry.port.set_margin_mode(SOL, MarginMode.ISOLATED)
        await dry.port.set_leverage(SOL, D(2))
        book = await dry.port.fetch_order_book(SOL, 5)
        placed = await dry.port.place_order(sell(book.asks[0].price))
        await dry.port.cancel_order(SOL, client_order_id=placed.client_order_id)
        assert await dry.port.fetch_leverage(SOL) == D(2)
        assert dry.writes_seen() == []
        assert dry.engine.venue.orders.open_orders() == []


async def test_paper_port_when_a_post_only_order_would_cross_the_live_book_then_cancelled_as_would_take(
    tmp_path: Path,
) -> None:
    async with dry_run(tmp_path) as dry:
        book = await dry.port.fetch_order_book(SOL, 5)
        with pytest.raises(PostOnlyWouldTake):
            await dry.port.place_order(sell(book.bids[0].price))
        assert await dry.port.fetch_open_orders([SOL]) == []
        assert dry.writes_seen() == []


async def test_paper_port_when_the_market_trades_through_a_resting_order_then_filled_as_maker_at_the_venue_fee(
    tmp_path: Path,
) -> None:
    async with dry_run(tmp_path) as dry:
        book = await dry.port.fetch_order_book(SOL, 5)
        price = book.asks[0].price
        await dry.port.place_order(sell(price, "5"))
        assert [o.remaining for o in await dry.port.fetch_open_orders([SOL])] == [D(5)]
        for _ in range(20):  # the replayed market crosses 229 a few minutes in
            dry.sim.advance(timedelta(seconds=30))
            if (await dry.port.fetch_positions([SOL]))[SOL].contracts:
                break
        fills = await dry.port.fetch_my_trades([SOL])
        assert fills
        assert {(f.price, f.maker, f.fee / (f.amount * f.price)) for f in fills} == {(price, True, D("0.0002"))}
        assert (await dry.port.fetch_positions([SOL]))[SOL].contracts == -sum(f.amount for f in fills)
        assert dry.writes_seen() == []


async def test_paper_port_when_funding_settles_then_the_short_receives_the_venue_rate_at_the_announced_time(
    tmp_path: Path,
) -> None:
    async with dry_run(tmp_path) as dry:
        announced = (await dry.port.fetch_perp_tickers([SOL]))[SOL]
        assert announced.next_funding_time is not None
        assert announced.funding_rate is not None
        book = await dry.port.fetch_order_book(SOL, 5)
        await dry.port.place_order(sell(book.asks[0].price, "10"))
        while not (await dry.port.fetch_positions([SOL]))[SOL].contracts:
            dry.sim.advance(timedelta(seconds=30))
        position = (await dry.port.fetch_positions([SOL]))[SOL].contracts
        await dry.port.fetch_perp_tickers([SOL])  # the venue's latest word on the next settlement
        dry.sim.advance(announced.next_funding_time - dry.engine.clock.now() + timedelta(minutes=1))
        (payment,) = await dry.port.fetch_funding_payments([SOL])
        assert payment.timestamp == announced.next_funding_time
        assert payment.rate == announced.funding_rate
        assert payment.position_contracts == position
        assert payment.amount > 0  # a short receives a positive rate


async def test_paper_port_when_reopened_then_the_paper_position_orders_and_fills_are_as_left(tmp_path: Path) -> None:
    async with dry_run(tmp_path) as dry:
        book = await dry.port.fetch_order_book(SOL, 5)
        await dry.port.place_order(sell(book.asks[0].price, "5", "hbtest0001"))
        while not (await dry.port.fetch_positions([SOL]))[SOL].contracts:
            dry.sim.advance(timedelta(seconds=30))
        book = await dry.port.fetch_order_book(SOL, 5)
        await dry.port.place_order(sell(book.asks[-1].price, "1", "hbtest0002"))
        before = await _account(dry.port)
        await dry.port.close()
        dry.port = dry.reopen()
        assert await _account(dry.port) == before
        assert [o.client_order_id for o in await dry.port.fetch_open_orders([SOL])] == ["hbtest0002"]


async def test_paper_port_when_another_dry_run_trades_on_the_same_file_then_refused(tmp_path: Path) -> None:
    async with dry_run(tmp_path) as dry:
        second = dry.reopen()
        with pytest.raises(PreflightError, match="another dry run is trading"):
            await second.load_markets()
        watcher = dry.reopen(read_only=True)
        await watcher.load_markets()  # `status --dry-run` looks while the dry run trades
        with pytest.raises(WriteRefused):
            await watcher.set_leverage(SOL, D(1))


async def _account(port: PaperPort) -> tuple[Any, ...]:
    positions = await port.fetch_positions([SOL])
    return (
        positions[SOL].contracts,
        positions[SOL].entry_price,
        await port.fetch_open_orders([SOL]),
        await port.fetch_my_trades([SOL]),
        (await port.fetch_margin_balances())["USDT"],
    )
