"""The ExchangePort over ccxt: one venue account's spot wallet and linear perpetuals, in domain values.

Written once against ccxt's unified API; what differs between venues comes from the quirks table. Binance needs
two ccxt instances (``binance`` for spot, ``binanceusdm`` for USD-M perpetuals); Bybit and OKX serve both from one.
Reads, settings and cancels are retried under the retry policy; order creation is sent exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import ccxt.async_support as ccxt
import structlog

from bot import limits
from bot.clock import Clock, to_ms, utc_from_ms
from bot.domain import (
    Balance,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    Order,
    OrderBook,
    OrderStatus,
    PerpTicker,
    Position,
    SpotQuote,
    is_ours,
)
from bot.errors import AmbiguousOrderOutcome, ClockSkew, DataError, ExchangeError, OrderNotFound, VenueUnsupported
from bot.exchange import convert
from bot.exchange.ccxt_switch import CcxtSwitch
from bot.exchange.errors import Call, is_not_modified, translate
from bot.exchange.port import ExchangePort, OrderRequest
from bot.exchange.quirks import MarginScope, VenueQuirks, check_client_order_id
from bot.exchange.retry import RetryPolicy, retrying

log = structlog.get_logger(__name__)

T = TypeVar("T")

PAGINATE = {"paginate": True}  # ccxt follows the venue's cursor or time pages (Bybit, Binance and OKX support it)
_PRICE_SOURCES = {
    "tickers": "fetch_tickers",
    "funding_rates": "fetch_funding_rates",
    "mark_prices": "fetch_mark_prices",
}


class CcxtExchange(CcxtSwitch):
    """ExchangePort for any ccxt venue with a row in the quirks table."""

    def __init__(
        self,
        venue: str,
        quirks: VenueQuirks,
        spot: Any,
        perp: Any,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        quote: str = "USDT",
        margin_mode: MarginMode = MarginMode.ISOLATED,
    ) -> None:
        self.venue = venue
        self.unified_wallet = quirks.unified_wallet
        self.cancel_switch = quirks.cancel_switch.switch if quirks.cancel_switch else None
        self.quirks = quirks
        self.spot = spot  # ccxt instances are untyped
        self.perp = perp
        self.quote = quote
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._margin_mode = margin_mode
        self._margin_modes: dict[str, MarginMode] = {}
        self._markets: dict[str, Market] = {}

    @property
    def exchanges(self) -> tuple[Any, ...]:
        """The distinct ccxt instances behind this port."""
        return (self.spot,) if self.spot is self.perp else (self.spot, self.perp)

    # -- markets and account -----------------------------------------------------------------------------------

    async def load_markets(self) -> Mapping[str, Market]:
        loaded = await asyncio.gather(*(self._read(Call("load_markets"), ex.load_markets) for ex in self.exchanges))
        markets: dict[str, Market] = {}
        for raw_markets in loaded:
            for raw in raw_markets.values():
                try:
                    market = convert.to_market(raw)
                except DataError as exc:  # that listing cannot be traded safely; the others can
                    log.warning("exchange.market_unusable", venue=self.venue, symbol=raw.get("symbol"), error=str(exc))
                    continue
                if market is not None:
                    markets[market.symbol] = market
        self._markets = markets
        return dict(markets)

    async def server_time(self) -> datetime:
        milliseconds = await self._read(Call("server_time"), self.perp.fetch_time)
        return utc_from_ms(milliseconds)

    async def fetch_spot_balances(self) -> Mapping[str, Balance]:
        raw = await self._read(Call("fetch_spot_balances"), self.spot.fetch_balance)
        return convert.to_balances(raw)

    async def fetch_margin_balances(self) -> Mapping[str, Balance]:
        if self.unified_wallet:
            balances = await self.fetch_spot_balances()
        else:
            balances = convert.to_balances(await self._read(Call("fetch_margin_balances"), self.perp.fetch_balance))
        if not balances:  # never "no holdings, no margin" from a reply that lost its coins: the hedge would go
            raise DataError(f"{self.venue}: the margin wallet reply lists no coin at all (an empty account?)")
        return balances

    # -- market data -------------------------------------------------------------------------------------------

    async def fetch_spot_quotes(self, assets: Iterable[str]) -> Mapping[str, SpotQuote]:
        markets = await self._known_markets()
        by_symbol = {f"{a}/{self.quote}": a for a in assets if f"{a}/{self.quote}" in markets}
        if not by_symbol:
            return {}
        symbols = sorted(by_symbol)
        raw = await self._read(Call("fetch_spot_quotes"), lambda: self.spot.fetch_tickers(symbols))
        quotes, problems = convert.to_spot_quotes(by_symbol, raw, self._clock.now())
        for symbol, problem in problems.items():  # that holding cannot be valued this cycle; the others can
            log.warning("exchange.quote_unusable", venue=self.venue, symbol=symbol, error=problem)
        return quotes

    async def fetch_perp_tickers(self, symbols: Iterable[str]) -> Mapping[str, PerpTicker]:
        wanted = sorted(set(symbols))
        if not wanted:
            return {}
        results = await asyncio.gather(
            *(
                self._read(
                    Call(f"fetch_perp_tickers ({source})"),
                    partial(getattr(self.perp, _PRICE_SOURCES[source]), wanted),
                )
                for source in self.quirks.perp_price_sources
            )
        )
        now = self._clock.now()
        tickers: dict[str, PerpTicker] = {}
        for symbol in wanted:
            sources = [result[symbol] for result in results if isinstance(result.get(symbol), Mapping)]
            try:
                tickers[symbol] = convert.to_perp_ticker(symbol, sources, now)
            except DataError as exc:
                log.warning("exchange.ticker_incomplete", venue=self.venue, symbol=symbol, error=str(exc))
        return tickers

    async def fetch_order_book(self, symbol: str, depth: int) -> OrderBook:
        exchange = self._exchange_for(symbol)
        limit = depth
        if exchange is self.perp and self.quirks.perp_book_depths:
            limit = min((d for d in self.quirks.perp_book_depths if d >= depth), default=depth)
        raw = await self._read(Call("fetch_order_book", symbol), lambda: exchange.fetch_order_book(symbol, limit))
        return convert.to_book(raw, depth, self._clock.now())

    async def fetch_price_history(self, symbol: str, timeframe: str, limit: int) -> tuple[Decimal, ...]:
        exchange = self._exchange_for(symbol)
        rows = await self._read(
            Call("fetch_price_history", symbol), lambda: exchange.fetch_ohlcv(symbol, timeframe, None, limit)
        )
        return tuple(convert.positive(convert.column(row, 4), f"a close of {symbol}") for row in rows)

    # -- positions and orders ----------------------------------------------------------------------------------

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        wanted = set(symbols)
        if not wanted:
            return {}
        rows = await self._list_by_settle(
            "fetch_positions", wanted, lambda params: self.perp.fetch_positions(None, params)
        )
        now = self._clock.now()
        positions: dict[str, Position] = {}
        for raw in rows:
            if self._listed_symbol(raw, "a position") not in wanted:
                continue
            position = convert.to_position(raw, now)
            if position.is_flat:
                continue
            if position.symbol in positions:
                raise DataError(
                    f"{self.venue} reports two positions in {position.symbol}: the account is in hedge mode; "
                    "hedgebot needs one-way mode"
                )
            positions[position.symbol] = position
        return {s: positions.get(s) or convert.flat_position(s, now) for s in sorted(wanted)}

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        wanted = set(symbols)
        if not wanted:
            return []
        limit = self.quirks.open_orders_limit
        rows = await self._list_by_settle(
            "fetch_open_orders", wanted, lambda params: self.perp.fetch_open_orders(None, None, limit, params)
        )
        orders = [convert.to_order(raw, self.quirks) for raw in rows if self._listed_symbol(raw, "an order") in wanted]
        if unknown := [
            o.client_order_id for o in orders if o.status is OrderStatus.UNKNOWN and is_ours(o.client_order_id)
        ]:
            raise DataError(f"{self.venue} lists our open order(s) {', '.join(map(str, unknown))} in no known state")
        return orders

    async def fetch_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order | None:
        if (order_id is None) == (client_order_id is None):
            raise ValueError("fetch_order needs exactly one of order_id and client_order_id")
        call = Call("fetch_order", symbol, client_order_id=client_order_id, order_id=order_id)
        if self.quirks.lookup_by_listing:
            # Bybit v5: /v5/order/realtime answers open and recent closed orders by id; /v5/order/history the rest.
            params = (
                {self.quirks.order_id_field: order_id} if order_id else {self.quirks.client_id_field: client_order_id}
            )
            for method in (self.perp.fetch_open_orders, self.perp.fetch_canceled_and_closed_orders):
                rows = await self._read(call, partial(method, symbol, None, None, dict(params)))
                if rows:
                    return convert.to_order(rows[0], self.quirks)
            return None
        params = {self.quirks.client_id_field: client_order_id} if client_order_id else {}
        try:
            raw = await self._read(call, lambda: self.perp.fetch_order(order_id, symbol, params))
        except OrderNotFound:
            return None
        return convert.to_order(raw, self.quirks)

    async def place_order(self, request: OrderRequest) -> Order:
        if request.amount <= 0 or request.price <= 0:
            raise ValueError(f"an order needs a positive amount and price: {request}")
        check_client_order_id(request.client_order_id)
        params: dict[str, Any] = {
            "clientOrderId": request.client_order_id,
            **self.quirks.order_params,
            **self.quirks.post_only_params,
        }
        if request.reduce_only:
            params["reduceOnly"] = True
        if self.quirks.margin_scope is MarginScope.ORDER:
            params["marginMode"] = self._margin_mode_of(request.symbol).value
        call = Call(
            "place_order",
            request.symbol,
            request.side,
            request.amount,
            request.price,
            client_order_id=request.client_order_id,
            creates_order=True,
        )
        try:
            raw = await self.perp.create_order(
                request.symbol, "limit", request.side.value, float(request.amount), float(request.price), params
            )
        except Exception as exc:  # anything after the request may have left: ccxt or not, translate it
            raise translate(exc, self.quirks.exchange, call) from exc
        acknowledged = Order(
            symbol=request.symbol,
            side=request.side,
            amount=request.amount,
            price=request.price,
            status=OrderStatus.OPEN,
            client_order_id=request.client_order_id,
            order_id=None,
            reduce_only=request.reduce_only,
            post_only=request.post_only,
        )
        try:
            order = convert.to_order(raw, self.quirks, fallback=acknowledged)
        except DataError as exc:  # the venue answered, but not legibly: the order may well exist
            message = f"{self.venue}: {call.describe()}: unreadable acknowledgement ({exc}): look it up by client id"
            raise AmbiguousOrderOutcome(
                message, symbol=request.symbol, client_order_id=request.client_order_id
            ) from exc
        log.info(
            "exchange.order.created",
            venue=self.venue,
            symbol=order.symbol,
            client_order_id=order.client_order_id,
            order_id=order.order_id,
            status=order.status,
        )
        if raw.get("status") is not None:
            return order
        # The acknowledgement carries ids only (Bybit): read the order once to learn its state, e.g. a post-only
        # order the venue has already cancelled. If that read fails, the order was still accepted: report it open.
        try:
            return await self.fetch_order(request.symbol, client_order_id=request.client_order_id) or order
        except (ExchangeError, DataError) as exc:
            log.warning(
                "exchange.order.state_unread", venue=self.venue, client_order_id=request.client_order_id, error=str(exc)
            )
            return order

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> None:
        if (order_id is None) == (client_order_id is None):
            raise ValueError("cancel_order needs exactly one of order_id and client_order_id")
        params = {self.quirks.client_id_field: client_order_id} if client_order_id else {}
        call = Call("cancel_order", symbol, client_order_id=client_order_id, order_id=order_id)
        await self._read(call, lambda: self.perp.cancel_order(order_id, symbol, params))

    async def fetch_my_trades(self, symbol: str, since: datetime | None = None) -> list[Fill]:
        # Every page: one page (Bybit's newest 50) loses fills when more happened since the last read.
        rows = await self._read(
            Call("fetch_my_trades", symbol), lambda: self.perp.fetch_my_trades(symbol, _ms(since), None, PAGINATE)
        )
        now = self._clock.now()
        return [convert.to_fill(raw, self.quirks, now) for raw in rows]

    async def fetch_funding_payments(self, symbol: str, since: datetime | None = None) -> list[FundingPayment]:
        # Every page where ccxt can follow them (Bybit: 100 a page); elsewhere the venue's single answer.
        params = PAGINATE if self.quirks.paginated_funding else {}
        rows = await self._read(
            Call("fetch_funding_payments", symbol),
            lambda: self.perp.fetch_funding_history(symbol, _ms(since), None, params),
        )
        now = self._clock.now()
        return [convert.to_funding_payment(raw, self.quirks, now) for raw in rows]

    # -- settings ----------------------------------------------------------------------------------------------

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        if not limits.MIN_LEVERAGE <= leverage <= limits.MAX_LEVERAGE:
            raise ValueError(f"leverage {leverage} is outside the bot's hard limits 1..{limits.MAX_LEVERAGE}")
        if self.quirks.integer_leverage and leverage != leverage.to_integral_value():
            raise VenueUnsupported(f"{self.quirks.exchange} accepts whole-number leverage only, not {leverage}")
        value: int | float = int(leverage) if leverage == leverage.to_integral_value() else float(leverage)
        params = self._margin_params(symbol)
        await self._setting(Call("set_leverage", symbol), lambda: self.perp.set_leverage(value, symbol, params))

    async def fetch_leverage(self, symbol: str) -> Decimal:
        call = Call("fetch_leverage", symbol)
        if self.quirks.leverage_from_position:
            rows = await self._read(call, lambda: self.perp.fetch_positions([symbol]))
            values = [row.get("leverage") for row in rows if row.get("symbol") == symbol]
        else:
            params = self._margin_params(symbol)
            raw = await self._read(call, lambda: self.perp.fetch_leverage(symbol, params))
            values = [raw.get("longLeverage"), raw.get("shortLeverage")]
        found = [v for v in (convert.dec(value) for value in values) if v is not None]
        if not found:
            raise DataError(f"{self.venue} reports no leverage for {symbol}")
        return max(found)

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        self._margin_modes[symbol] = mode
        if self.quirks.margin_scope is MarginScope.ORDER:
            return  # sent with every order and leverage change instead
        await self._setting(Call("set_margin_mode", symbol), lambda: self.perp.set_margin_mode(mode.value, symbol))

    async def ensure_one_way_mode(self, symbol: str) -> None:
        await self._setting(Call("ensure_one_way_mode", symbol), lambda: self.perp.set_position_mode(False, symbol))

    async def close(self) -> None:
        await asyncio.gather(*(ex.close() for ex in self.exchanges))

    # -- plumbing ----------------------------------------------------------------------------------------------

    async def _read(self, call: Call, request: Callable[[], Awaitable[T]]) -> T:
        """An idempotent request: ccxt errors translated, retried under the policy (after a clock skew, each ccxt
        instance re-learns its offset from the venue's clock first)."""

        async def attempt() -> T:
            try:
                return await request()
            except ccxt.BaseError as exc:
                raise translate(exc, self.quirks.exchange, call) from exc
            except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
                # ccxt could not parse what the venue sent (a NaN where a number belongs, a missing list, ...)
                raise DataError(f"{self.venue}: {call.describe()}: the reply could not be read: {exc!r}") from exc

        async def resync(failure: BaseException) -> None:
            if isinstance(failure, ClockSkew):
                try:
                    await asyncio.gather(*(ex.load_time_difference() for ex in self.exchanges))
                except ccxt.BaseError as exc:
                    raise translate(exc, self.quirks.exchange, Call("resync clock")) from exc

        return await retrying(attempt, self._retry, describe=call.describe(), before_retry=resync)

    async def _setting(self, call: Call, request: Callable[[], Awaitable[Any]]) -> None:
        """A settings change: "not modified" answers count as success."""

        async def tolerant() -> None:
            try:
                await request()
            except ccxt.BaseError as exc:
                if not is_not_modified(exc, self.quirks.exchange):
                    raise
                log.debug("exchange.setting.unchanged", venue=self.venue, request=call.describe())

        await self._read(call, tolerant)

    async def _list_by_settle(
        self, operation: str, symbols: set[str], request: Callable[[dict[str, Any]], Awaitable[list[Any]]]
    ) -> list[Any]:
        """One batched request per settle coin where the venue needs it (Bybit settleCoin), else one in all."""
        settle_param = self.quirks.settle_param
        groups = sorted({s.partition(":")[2] for s in symbols}) if settle_param else [None]
        results = await asyncio.gather(
            *(
                self._read(
                    Call(operation if settle is None else f"{operation} (settle {settle})"),
                    partial(request, {settle_param: settle} if settle_param else {}),
                )
                for settle in groups
            )
        )
        return [row for rows in results for row in rows]

    def _listed_symbol(self, raw: Any, what: str) -> str:
        """The symbol of a listed row; ``DataError`` when the row names no market the venue lists (a row that
        cannot be placed must not read as "nothing there")."""
        symbol = convert.symbol_of(raw)
        if symbol not in (self.perp.markets or {}):
            raise DataError(f"{self.venue} lists {what} on {symbol!r}, which is not one of its markets")
        return str(symbol)

    async def _known_markets(self) -> Mapping[str, Market]:
        if not self._markets:
            await self.load_markets()
        return self._markets

    def _exchange_for(self, symbol: str) -> Any:
        """Contract symbols (``BASE/QUOTE:SETTLE``) live on the perp instance, the rest on the spot one."""
        return self.perp if ":" in symbol else self.spot

    def _margin_mode_of(self, symbol: str) -> MarginMode:
        return self._margin_modes.get(symbol, self._margin_mode)

    def _margin_params(self, symbol: str) -> dict[str, Any]:
        if self.quirks.margin_scope is MarginScope.ORDER:
            return {"marginMode": self._margin_mode_of(symbol).value}
        return {}


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


if TYPE_CHECKING:  # mypy proves the adapter implements the port
    _implements: type[ExchangePort] = CcxtExchange
