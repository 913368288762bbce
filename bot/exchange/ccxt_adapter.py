"""The ExchangePort over ccxt: the read half (``CcxtReader``) and the write half, orders and account settings.

Order creation is sent exactly once; cancels and settings changes are retried under the retry policy, and a
settings change the venue answers "not modified" counts as success.
Every ccxt call runs in a decimal context of its own: ccxt rounds by changing the thread's context (ROUND_HALF_UP),
which would otherwise change the bot's Decimal arithmetic after the first order.
"""

from __future__ import annotations

import decimal
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ccxt.async_support as ccxt
import structlog

from bot import limits
from bot.clock import Clock
from bot.domain import MarginMode, Order
from bot.errors import AmbiguousOrderOutcome, DataError, ExchangeError, VenueUnsupported
from bot.exchange import convert
from bot.exchange.ccxt_reader import CcxtReader
from bot.exchange.ccxt_switch import CcxtSwitch
from bot.exchange.errors import Call, is_not_modified, translate
from bot.exchange.port import ExchangePort, OrderRequest
from bot.exchange.quirks import MarginScope, VenueQuirks, check_client_order_id
from bot.exchange.retry import RetryPolicy

log = structlog.get_logger(__name__)


class CcxtExchange(CcxtReader, CcxtSwitch):
    """ExchangePort for any ccxt venue with a row in the quirks table: the reads, and the writes."""

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
        super().__init__(venue, quirks, spot, perp, clock, retry=retry, quote=quote, margin_mode=margin_mode)
        self.cancel_switch = quirks.cancel_switch.switch if quirks.cancel_switch else None

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
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
        call = Call.placing(request)
        try:
            with decimal.localcontext():  # ccxt sets the thread's rounding to ROUND_HALF_UP: keep that to itself
                raw = await self.perp.create_order(
                    request.symbol, "limit", request.side.value, float(request.amount), float(request.price), params
                )
        except Exception as exc:  # anything after the request may have left: ccxt or not, translate it
            raise translate(exc, self.quirks.exchange, call) from exc
        acknowledged = request.as_open()
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
        if raw.get("status") is not None or not confirm:
            return order
        # The acknowledgement carries ids only (Bybit): read the order once to learn its state, e.g. a post-only
        # order the venue has already cancelled, unless the caller said it can tell nothing new (``confirm``). If
        # that read fails, the order was still accepted: report it open.
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

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        if not limits.MIN_LEVERAGE <= leverage <= limits.MAX_LEVERAGE:
            raise ValueError(f"leverage {leverage} is outside the bot's hard limits 1..{limits.MAX_LEVERAGE}")
        if self.quirks.integer_leverage and leverage != leverage.to_integral_value():
            raise VenueUnsupported(f"{self.quirks.exchange} accepts whole-number leverage only, not {leverage}")
        value: int | float = int(leverage) if leverage == leverage.to_integral_value() else float(leverage)
        params = self._margin_params(symbol)
        await self._setting(Call("set_leverage", symbol), lambda: self.perp.set_leverage(value, symbol, params))

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        self._margin_modes[symbol] = mode
        if self.quirks.margin_scope is MarginScope.ORDER:
            return  # sent with every order and leverage change instead
        await self._setting(Call("set_margin_mode", symbol), lambda: self.perp.set_margin_mode(mode.value, symbol))

    async def ensure_one_way_mode(self, symbol: str) -> None:
        await self._setting(Call("ensure_one_way_mode", symbol), lambda: self.perp.set_position_mode(False, symbol))

    # -- plumbing ----------------------------------------------------------------------------------------------

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


if TYPE_CHECKING:  # mypy proves the adapter implements the port
    _implements: type[ExchangePort] = CcxtExchange
