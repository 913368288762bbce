"""Fuzzing the adapter's parsing of venue replies: real recorded Bybit replies, mutated, through the real ccxt client.

Every mutated reply must give a clear error (``DataError`` or ``ExchangeError``, with a message) or a correct
value: every number finite and within its field's rules (prices, sizes and ticks positive, fills and orders
sane), nothing turned into a silent zero, nothing invented from garbage (a deleted, blanked or garbled field may
make a value unknown, never different), and an extra field changes nothing.

Example counts are bounded for the default suite (see ``tests/fuzz/profiles.py``); for a long hunt:
``FUZZ_PROFILE=long scripts/test tests/fuzz/test_replies.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import given

from bot.config import VenueMode
from bot.domain import BookLevel, Fill, Market, Order, PerpTicker, Position, SpotQuote
from bot.errors import DataError, ExchangeError
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.convert import MAX_MAGNITUDE
from tests.exchange.fake_http import FakeSession
from tests.exchange.venues import (
    CLIENT_ID,
    build,
    bybit_reply,
    fixture,
    recorded_reply,
    serve_bybit_account,
)
from tests.fuzz.mutations import Kind, Mutation, Path, apply, mutations
from tests.fuzz.profiles import FUZZ

BTC = "BTC/USDT:USDT"
LTC = "LTC/USDT:USDT"


def _instruments() -> dict[str, Any]:
    raw = fixture("bybit/instruments-info.raw.json")
    return {
        "spot": [r for r in raw["spot"] if r["symbol"] == "LTCUSDT"],
        "linear": [r for r in raw["linear"] if r["symbol"] == "BTCUSDT"],
    }


def _ours(reply: dict[str, Any]) -> dict[str, Any]:
    reply["result"]["list"][0]["orderLinkId"] = CLIENT_ID
    return reply


def _trade(reply: dict[str, Any]) -> dict[str, Any]:
    reply["result"]["list"][0].update(execType="Trade", orderLinkId=CLIENT_ID)
    return reply


def _spot_tickers() -> dict[str, Any]:
    row = {"symbol": "LTCUSDT", "bid1Price": "70.10", "bid1Size": "12.5", "ask1Price": "70.12", "ask1Size": "8.1",
           "lastPrice": "70.11", "prevPrice24h": "70", "price24hPcnt": "0", "highPrice24h": "71", "lowPrice24h": "69",
           "turnover24h": "1000000", "volume24h": "14000"}  # fmt: skip
    return bybit_reply({"category": "spot", "list": [row]})


@dataclass(frozen=True)
class Case:
    """One port call, the endpoint it reads, and the recorded reply the fuzzer mutates."""

    name: str
    path: str
    reply: Callable[[], Any]
    call: Callable[[CcxtExchange], Awaitable[Any]]
    paged: bool = False  # ccxt follows cursors: the mutated page is followed by an empty last one
    # Where the reply's records are (rows, coins). ccxt reads a lost or garbled list, or a record it cannot
    # identify, as "no such record"; that is left to the layer above (see ``assert_no_garbage_through``).
    rows: tuple[Path, ...] = (("result", "list"),)
    # Whether a mutation anywhere may make whole records go missing (ccxt filters rows by category or symbol):
    # fills and funding are read again from before the newest recorded, an order the journal knows open keeps
    # counting, a missing ticker or quote holds what needs it.
    records_may_vanish: bool = False
    skip: tuple[str, ...] = ("retCode", "retMsg", "nextPageCursor")  # the envelope's error fields: ccxt's job


CASES = (
    Case("wallet", "/v5/account/wallet-balance", lambda: recorded_reply("bybit", "fetchBalance"),
         lambda port: port.fetch_margin_balances(), rows=(("result", "list", 0, "coin"),)),
    Case("order book", "/v5/market/orderbook", lambda: recorded_reply("bybit", "fetchOrderBook", "swap orderbook"),
         lambda port: port.fetch_order_book(BTC, 5), rows=(("result", "a"), ("result", "b"))),  # one side: held
    Case("perp ticker", "/v5/market/tickers", lambda: recorded_reply("bybit", "fetchFundingRate"),
         lambda port: port.fetch_perp_tickers([BTC]), records_may_vanish=True),
    Case("spot quotes", "/v5/market/tickers", _spot_tickers, lambda port: port.fetch_spot_quotes(["LTC"]),
         records_may_vanish=True),
    Case("positions", "/v5/position/list", lambda: recorded_reply("bybit", "fetchPositions"),
         lambda port: port.fetch_positions([LTC])),
    Case("open orders", "/v5/order/realtime", lambda: _ours(recorded_reply("bybit", "fetchOpenOrder")),
         lambda port: port.fetch_open_orders([BTC]), records_may_vanish=True),
    Case("fills", "/v5/execution/list", lambda: _trade(recorded_reply("bybit", "fetchMyTrades", "Swap private trade")),
         lambda port: port.fetch_my_trades([LTC]), paged=True, records_may_vanish=True),
    Case("funding", "/v5/execution/list", lambda: recorded_reply("bybit", "fetchFundingHistory"),
         lambda port: port.fetch_funding_payments([LTC]), paged=True, records_may_vanish=True),
    Case("markets", "/v5/market/instruments-info", _instruments, lambda port: port.load_markets(), rows=(("spot",), ("linear",))),
)  # fmt: skip


def serve(session: FakeSession, case: Case, reply: Any) -> None:
    if case.name == "markets":
        for category in ("spot", "linear"):
            body = bybit_reply({"category": category, "list": reply.get(category), "nextPageCursor": ""})
            session.route("GET", case.path, body, when={"category": category})
        empty = bybit_reply({"category": "linear", "list": [], "nextPageCursor": ""})
        session.route("GET", case.path, empty, when={"category": "linear", "status": "PreLaunch"})
        return
    if case.paged:
        last = bybit_reply({"category": "linear", "list": [], "nextPageCursor": ""})
        session.route("GET", case.path, reply, last)
    else:
        session.route("GET", case.path, reply)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_adapter_when_a_recorded_reply_is_mutated_then_a_clear_error_or_a_correct_value(case: Case) -> None:
    with asyncio.Runner() as runner:
        session = FakeSession()
        serve_bybit_account(session)
        port = build("bybit", VenueMode.TESTNET, session, markets=case.name != "markets")
        account_routes = list(session.routes)
        original = case.reply()
        serve(session, case, original)
        baseline = runner.run(case.call(port))
        assert leaves(baseline), f"the recorded {case.name} reply parses to nothing: the fuzzer would prove nothing"

        @FUZZ
        @given(mutation=mutations(original, skip=case.skip))
        def check(mutation: Mutation) -> None:
            session.routes = list(account_routes)
            serve(session, case, apply(original, mutation))
            try:
                result = runner.run(case.call(port))
            except (DataError, ExchangeError) as exc:
                error = str(exc)  # a clear error: ours, with a message
            else:
                error = None
                assert_sane(result, mutation)
                assert_no_garbage_through(baseline, result, mutation, case)
            assert error != "", f"{mutation.describe()}: an error without a message"

        try:
            check()
        finally:
            runner.run(port.close())


# -- what a value parsed from a reply must satisfy ---------------------------------------------------------------


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every scalar inside a result (dataclasses, mappings, sequences), by path."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            found.update(leaves(getattr(value, f.name), f"{prefix}.{f.name}"))
        return found
    if isinstance(value, Mapping):
        found = {}
        for key, item in value.items():
            found.update(leaves(item, f"{prefix}[{key}]"))
        return found
    if isinstance(value, list | tuple):
        found = {}
        for index, item in enumerate(value):
            found.update(leaves(item, f"{prefix}[{index}]"))
        return found
    return {prefix: value}


def records(value: Any) -> list[Any]:
    """Every dataclass inside a result."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [value] + [r for f in dataclasses.fields(value) for r in records(getattr(value, f.name))]
    if isinstance(value, Mapping):
        return [r for item in value.values() for r in records(item)]
    if isinstance(value, list | tuple):
        return [r for item in value for r in records(item)]
    return []


def _positive(*values: Decimal | None) -> bool:
    return all(v is None or v > 0 for v in values)


def assert_sane(result: Any, mutation: Mutation) -> None:
    where = mutation.describe()
    for path, value in leaves(result).items():
        if isinstance(value, Decimal):
            assert value.is_finite(), f"{where}: {path} = {value}"
            assert abs(value) < MAX_MAGNITUDE, f"{where}: {path} = {value}"
    for record in records(result):
        match record:
            case BookLevel():
                assert _positive(record.price, record.size), f"{where}: book level {record}"
            case PerpTicker():
                assert _positive(record.mark, record.last, record.bid, record.ask, record.index), f"{where}: {record}"
            case SpotQuote():
                assert _positive(record.bid, record.ask, record.last), f"{where}: {record}"
            case Fill():
                assert record.trade_id, f"{where}: {record}"
                assert _positive(record.amount, record.price), f"{where}: {record}"
            case Order():
                assert 0 <= record.filled <= record.amount, f"{where}: {record}"
                assert _positive(record.amount), f"{where}: {record}"
                assert _positive(record.price, record.average_price), f"{where}: {record}"
            case Market():
                assert _positive(record.tick_size, record.lot_step, record.contract_size, record.min_qty), where
                assert record.min_notional >= 0, f"{where}: {record}"
            case Position():
                assert _positive(record.entry_price, record.mark_price, record.leverage), f"{where}: {record}"


# Not checked for invented values: times (a reply without one is dated when it was read), a balance's free and
# used parts, which ccxt derives from several venue fields with its own defaults (only the total sizes a hedge),
# and a perpetual's last trade price, the mark when the venue sends none (nothing is decided from it).
DERIVED = (".free", ".used", ".last")


def assert_no_garbage_through(baseline: Any, result: Any, mutation: Mutation, case: Case) -> None:
    """Nothing turned into a silent zero; nothing invented from garbage; an extra field changes nothing.

    A record may go missing when the mutation hit the list of records or made one unidentifiable: ccxt cannot
    tell a lost list from an empty one, so the layers above guard it, each with its own test: a wallet that
    lists no coin is refused and a hedged holding that vanishes keeps its hedge; a position the journal does not
    explain holds its instrument; an order the journal knows open counts until found final; a ticker, quote or
    market that is missing holds what needs it; fills and funding are re-read from before the newest recorded.
    """
    where = mutation.describe()
    lost = mutation.touches(case.rows)
    opaque = isinstance(mutation.value, str)  # a garbled id or name is still an id or a name: nothing can tell
    before, after = leaves(baseline), leaves(result)
    if mutation.kind is Kind.EXTRA:
        assert after == before, f"{where}: an extra field changed the result"
        return
    for path, old in before.items():
        new = after.get(path)
        if new == old or isinstance(old, datetime) or path.endswith(DERIVED):
            continue
        if isinstance(old, Decimal) and old != 0 and new == 0:
            assert mutation.zero_like or lost, f"{where}: {path} silently became 0 (was {old})"
        if mutation.loses_information and path in after and not lost and not (opaque and isinstance(old, str)):
            assert new is None, f"{where}: {path} became {new!r} (was {old!r}) from a missing or garbled value"
        if path not in after and not isinstance(old, Enum):
            removable = lost or case.records_may_vanish
            removable |= mutation.kind is Kind.DELETE and isinstance(mutation.path[-1], int)
            assert removable or mutation.zero_like, f"{where}: {path} vanished (was {old!r})"
