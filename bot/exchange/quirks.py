"""What differs between venues behind the one port: the per-venue quirks table and the capabilities we need.

The adapter is written once against ccxt's unified API; everything a venue does differently is a row field here,
never an ``if exchange == ...`` in the adapter: its error codes, its "not modified" answers, how it reports a
post-only order cancelled for taking liquidity, what its credentials carry. The rows are the supported exchanges
(the configuration's ``exchange`` choices). A venue without a row, or whose ccxt class lacks a capability in
``REQUIRED``, is refused at start-up with ``VenueUnsupported``. This module imports no ccxt: the configuration
reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from bot.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    ClockSkew,
    DuplicateClientOrderId,
    ExchangeError,
    ExchangeUnavailable,
    OrderNotFound,
    PostOnlyWouldTake,
    ReduceOnlyRejected,
    RequestTimedOut,
    VenueUnsupported,
)
from bot.exchange.port import CancelSwitch, SwitchScope
from bot.settings import VenueMode

# Our client order ids: "hb" then letters and digits, at most 32 characters. The strictest rule among the
# venues (OKX clOrdId: alphanumeric, 1-32), so one id works everywhere (Bybit orderLinkId allows 36 with "-_",
# Binance newClientOrderId 36 with ".:/_-").
CLIENT_ORDER_ID = re.compile(r"^hb[A-Za-z0-9]{1,30}$")


class MarginScope(StrEnum):
    """Where a venue keeps the isolated/cross choice."""

    ACCOUNT = "account"  # one setting for the whole account (Bybit unified account)
    SYMBOL = "symbol"  # one setting per instrument (Binance USD-M)
    ORDER = "order"  # sent with every order and leverage call (OKX tdMode / mgnMode)


class DemoSwitch(StrEnum):
    """How ccxt reaches a venue's demo-trading account."""

    DEMO_URLS = "demo_urls"  # enable_demo_trading(True): separate demo hosts (Bybit api-demo, Binance demo-*)
    SIMULATED_HEADER = "simulated_header"  # set_sandbox_mode(True): same host, header x-simulated-trading: 1 (OKX)


class SwitchCall(StrEnum):
    """How ccxt reaches a venue's dead-man's switch."""

    UNIFIED_TIMER = "unified_timer"  # ccxt's cancel_all_orders_after(timeout ms, params), for the whole account
    RAW_PER_SYMBOL = "raw_per_symbol"  # a raw endpoint method, one call per symbol: {symbol, <timeout_param>: ms}


@dataclass(frozen=True, slots=True)
class SwitchQuirk:
    """A venue's dead-man's switch: what it is (the port's value) and how ccxt arms it."""

    switch: CancelSwitch
    call: SwitchCall
    method: str  # the ccxt method to call
    timeout_param: str | None = None  # RAW_PER_SYMBOL: the request field taking the timeout in ms (0 disarms)
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # sent with every call


class KeyReport(StrEnum):
    """The venue's record of the API key's permissions, as read by ``bot.exchange.ccxt_keys``."""

    BYBIT_QUERY_API = "bybit_query_api"  # GET /v5/user/query-api: readOnly, permissions by product, ips, expiredAt
    BINANCE_API_RESTRICTIONS = "binance_api_restrictions"  # GET /sapi/v1/account/apiRestrictions: enable* flags
    OKX_ACCOUNT_CONFIG = "okx_account_config"  # GET /api/v5/account/config: perm, ip


@dataclass(frozen=True, slots=True)
class KeyQuirk:
    """Where a venue tells what its API key may do: which record, through which ccxt raw endpoint method."""

    report: KeyReport
    method: str  # the ccxt raw endpoint method
    on_spot: bool = False  # called on the spot instance (Binance's /sapi lives there), else the perp one


# OKX scopes cancel-all-after to orders carrying this tag (its `tag`: up to 16 letters or digits): every order of ours
# carries it, so the switch never cancels a foreign order.
OKX_ORDER_TAG = "hedgebot"


@dataclass(frozen=True, slots=True)
class VenueError:
    """A venue answer ccxt maps too broadly (or not at all), known by its error codes or message phrases, and what it
    means (``bot.exchange.errors`` puts these rows ahead of ccxt's own classes)."""

    ours: type[ExchangeError]  # what it means for any request
    codes: frozenset[str] = frozenset()  # any of these error codes in the reply...
    phrases: tuple[str, ...] = ()  # ...or any of these phrases in the venue's message
    on_create: type[ExchangeError] | None = None  # what it means when the request created an order, if different
    any_failure: bool = False  # raised by ccxt as any error (a timeout too), not only as an exchange error


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


@dataclass(frozen=True, slots=True)
class VenueQuirks:
    """One venue's row of the quirks table."""

    exchange: str  # the configuration's exchange name
    spot_class: str  # ccxt class that serves the spot wallet and spot markets
    perp_class: str  # ccxt class that serves linear perpetuals (the same class on unified venues)
    modes: frozenset[VenueMode]  # modes this venue can run in
    demo: DemoSwitch
    unified_wallet: bool  # spot holdings and perp margin live in one wallet
    # What turns a limit order post-only (ccxt maps it to the venue's style). A post-only order that would take
    # liquidity is refused either synchronously (PostOnlyWouldTake, from ``errors``) or accepted and then CANCELED:
    # the raw order field and values that say so (the adapter reports it as ``Order.post_only_rejected``).
    post_only_params: Mapping[str, Any]
    post_only_cancel_field: str | None
    post_only_cancel_values: frozenset[str]
    margin_scope: MarginScope
    integer_leverage: bool  # the venue accepts whole-number leverage only
    client_id_field: str  # the venue's own name for our client order id (raw replies, lookups and cancels)
    order_id_field: str  # the venue's own name for its order id
    reject_reason_field: str | None  # raw order field explaining a venue-side cancel, if the venue gives one
    no_reject_reason: frozenset[str]  # values of that field that mean "no reason"
    settle_param: str | None  # batch positions/open orders by settle coin with this parameter (Bybit settleCoin)
    open_orders_limit: int | None  # page size to ask for when listing open orders (None: the venue lists all)
    lookup_by_listing: bool  # find one order by listing open then closed orders filtered by id (Bybit v5)
    leverage_from_position: bool  # read leverage off the position row (ccxt's fetch_leverage truncates it)
    funding_paid_positive: bool  # the venue reports funding paid as a positive amount (Bybit execFee)
    perp_price_sources: tuple[str, ...]  # ccxt batch calls merged into a PerpTicker, in order of preference
    public_trades_limit: int  # the most public trades one request returns (a dry run's fills are read from them)
    passphrase: bool  # API credentials carry a passphrase as well as a key and secret
    errors: tuple[VenueError, ...]  # answers ccxt maps too broadly, most specific first
    not_modified: frozenset[str]  # error codes answering a settings change with "already so": success
    perp_book_depths: tuple[int, ...] = ()  # the only book depths the perp endpoint accepts (empty: any)
    paginated_funding: bool = False  # ccxt can follow the venue's pages of funding history (paginate=True)
    # ccxt parameters that read fills and funding of every linear perpetual in one request (symbol None); None: the
    # venue (or ccxt) wants one request per symbol
    history_category: Mapping[str, Any] | None = None
    # the funding-rates reply is the tickers reply: each row's ticker (last, bid, ask) parsed locally, no second request
    tickers_in_funding_rates: bool = False
    cancel_switch: SwitchQuirk | None = None  # the venue's dead-man's switch for ordinary accounts, if it has one
    key_info: KeyQuirk | None = None  # where the venue tells what the API key may do, if it does
    order_params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))  # sent with every order
    ccxt_options: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))  # by class


_TICKERS_AND_FUNDING = ("tickers", "funding_rates")

QUIRKS: Mapping[str, VenueQuirks] = MappingProxyType(
    {
        "bybit": VenueQuirks(
            exchange="bybit",
            spot_class="bybit",
            perp_class="bybit",
            modes=frozenset(VenueMode),
            demo=DemoSwitch.DEMO_URLS,
            unified_wallet=True,
            # timeInForce=PostOnly; would-take: accepted, then Cancelled with rejectReason EC_PostOnlyWillTakeLiquidity
            post_only_params=MappingProxyType({"postOnly": True}),
            post_only_cancel_field="rejectReason",
            post_only_cancel_values=frozenset({"EC_PostOnlyWillTakeLiquidity"}),
            margin_scope=MarginScope.ACCOUNT,
            integer_leverage=False,
            client_id_field="orderLinkId",
            order_id_field="orderId",
            reject_reason_field="rejectReason",
            no_reject_reason=frozenset({"", "EC_NoError"}),
            settle_param="settleCoin",
            open_orders_limit=50,  # /v5/order/realtime pages at 50 at most
            lookup_by_listing=True,
            leverage_from_position=True,
            funding_paid_positive=True,
            perp_price_sources=("funding_rates",),
            public_trades_limit=1000,  # /v5/market/recent-trade, linear
            passphrase=False,
            errors=(
                VenueError(DuplicateClientOrderId, _codes("110072")),
                VenueError(ReduceOnlyRejected, _codes("110017")),
                VenueError(OrderNotFound, _codes("110001", "110008", "110010", "170213")),
                VenueError(ExchangeUnavailable, _codes("10016"), on_create=AmbiguousOrderOutcome),
            ),
            not_modified=_codes("110043", "110025", "110026", "34036"),
            paginated_funding=True,
            # /v5/execution/list without a symbol answers the whole category (execType Trade, or Funding)
            history_category=MappingProxyType({"type": "swap", "subType": "linear"}),
            tickers_in_funding_rates=True,  # ccxt reads funding rates from /v5/market/tickers, bid, ask and last too
            # No switch: Bybit's Disconnection Cancel Protection is for institutional accounts only and fires on a
            # private websocket's disconnect. `hedgebot watchdog` is the protection there.
            cancel_switch=None,
            key_info=KeyQuirk(KeyReport.BYBIT_QUERY_API, "privateGetV5UserQueryApi"),
            ccxt_options=MappingProxyType({"bybit": {"fetchMarkets": {"types": ["spot", "linear"]}}}),
        ),
        "binance": VenueQuirks(
            exchange="binance",
            spot_class="binance",
            perp_class="binanceusdm",
            # ccxt 4.5.90 refuses Binance's futures testnet (retired in favour of demo trading).
            modes=frozenset({VenueMode.DEMO, VenueMode.LIVE}),
            demo=DemoSwitch.DEMO_URLS,
            unified_wallet=False,
            # spot LIMIT_MAKER, USD-M timeInForce=GTX; would-take: refused (spot -2010, USD-M -5022)
            post_only_params=MappingProxyType({"postOnly": True}),
            post_only_cancel_field=None,
            post_only_cancel_values=frozenset(),
            margin_scope=MarginScope.SYMBOL,
            integer_leverage=True,
            client_id_field="clientOrderId",
            order_id_field="orderId",
            reject_reason_field=None,
            no_reject_reason=frozenset(),
            settle_param=None,
            open_orders_limit=None,
            lookup_by_listing=False,
            leverage_from_position=False,
            funding_paid_positive=False,
            perp_price_sources=_TICKERS_AND_FUNDING,  # premiumIndex carries mark, index and funding
            public_trades_limit=1000,  # /fapi/v1/aggTrades
            passphrase=False,
            errors=(
                VenueError(DuplicateClientOrderId, _codes("-4116")),
                VenueError(DuplicateClientOrderId, phrases=("Duplicate order sent",)),
                VenueError(ReduceOnlyRejected, _codes("-2022", "-4118")),
                VenueError(PostOnlyWouldTake, _codes("-5022")),
                VenueError(PostOnlyWouldTake, phrases=("immediately match and take",)),
                VenueError(OrderNotFound, _codes("-2011", "-2013")),
                VenueError(OrderNotFound, phrases=("Unknown order sent",)),
                VenueError(ClockSkew, _codes("-1021")),
                VenueError(AuthenticationFailed, _codes("-1022")),
                VenueError(ExchangeUnavailable, _codes("-1001"), on_create=AmbiguousOrderOutcome),
                VenueError(RequestTimedOut, _codes("-1007"), on_create=AmbiguousOrderOutcome, any_failure=True),
            ),
            not_modified=_codes("-4046", "-4059"),
            perp_book_depths=(5, 10, 20, 50, 100, 500, 1000),
            # USD-M countdownCancelAll: per symbol, and it cancels every open order of the symbol (it has no tag).
            cancel_switch=SwitchQuirk(
                CancelSwitch("countdownCancelAll", SwitchScope.INSTRUMENT, True, timedelta(seconds=10), None),
                SwitchCall.RAW_PER_SYMBOL,
                "fapiPrivatePostCountdownCancelAll",
                timeout_param="countdownTime",
            ),
            key_info=KeyQuirk(KeyReport.BINANCE_API_RESTRICTIONS, "sapiGetAccountApiRestrictions", on_spot=True),
            ccxt_options=MappingProxyType(
                {
                    "binance": {"fetchMarkets": {"types": ["spot"]}},
                    # one batched open-orders request for every USD-M symbol (weight 40) instead of one per symbol
                    "binanceusdm": {"warnOnFetchOpenOrdersWithoutSymbol": False},
                }
            ),
        ),
        "okx": VenueQuirks(
            exchange="okx",
            spot_class="okx",
            perp_class="okx",
            # OKX has no separate testnet: its demo account is reached with a header on the live host.
            modes=frozenset({VenueMode.DEMO, VenueMode.LIVE}),
            demo=DemoSwitch.SIMULATED_HEADER,
            unified_wallet=True,
            # ordType=post_only; would-take: accepted, then canceled with cancelSource 31
            post_only_params=MappingProxyType({"postOnly": True}),
            post_only_cancel_field="cancelSource",
            post_only_cancel_values=frozenset({"31"}),
            margin_scope=MarginScope.ORDER,
            integer_leverage=False,
            client_id_field="clOrdId",
            order_id_field="ordId",
            reject_reason_field="cancelSourceReason",
            no_reject_reason=frozenset({""}),
            settle_param=None,
            open_orders_limit=None,
            lookup_by_listing=False,
            leverage_from_position=False,
            funding_paid_positive=False,
            perp_price_sources=(*_TICKERS_AND_FUNDING, "mark_prices"),  # neither tickers nor funding carry mark
            public_trades_limit=500,  # /api/v5/market/trades
            passphrase=True,
            errors=(
                VenueError(DuplicateClientOrderId, _codes("51016")),
                VenueError(ReduceOnlyRejected, _codes("51169", "51170")),
                VenueError(OrderNotFound, _codes("51400", "51401", "51402", "51603")),
            ),
            not_modified=_codes(),
            # cancel-all-after: one timer for the account (timeOut 10-120 s), scoped to the orders tagged as ours.
            cancel_switch=SwitchQuirk(
                CancelSwitch(
                    "cancel-all-after", SwitchScope.OUR_ORDERS, False, timedelta(seconds=10), timedelta(seconds=120)
                ),
                SwitchCall.UNIFIED_TIMER,
                "cancel_all_orders_after",
                params=MappingProxyType({"tag": OKX_ORDER_TAG}),
            ),
            order_params=MappingProxyType({"tag": OKX_ORDER_TAG}),
            key_info=KeyQuirk(KeyReport.OKX_ACCOUNT_CONFIG, "privateGetAccountConfig"),
            ccxt_options=MappingProxyType({"okx": {"fetchMarkets": {"types": ["spot", "swap"]}}}),
        ),
    }
)

# Unified ccxt capabilities (``exchange.has``) the port needs, per wallet.
REQUIRED_SPOT = ("fetchBalance", "fetchTickers", "fetchOrderBook", "fetchOHLCV")
REQUIRED_PERP = (
    "fetchBalance",
    "fetchTickers",
    "fetchFundingRates",
    "fetchOrderBook",
    "fetchOHLCV",
    "fetchTrades",
    "fetchTradingFee",
    "fetchPositions",
    "fetchOpenOrders",
    "fetchOrder",
    "createOrder",
    "cancelOrder",
    "fetchMyTrades",
    "fetchFundingHistory",
    "setLeverage",
    "fetchLeverage",
    "setMarginMode",
    "setPositionMode",
    "fetchTime",
)
_SOURCE_CAPABILITY = {"tickers": "fetchTickers", "funding_rates": "fetchFundingRates", "mark_prices": "fetchMarkPrices"}


def quirks_for(exchange: str) -> VenueQuirks:
    try:
        return QUIRKS[exchange]
    except KeyError:
        known = ", ".join(sorted(QUIRKS))
        raise VenueUnsupported(f"no quirks table row for exchange {exchange!r} (supported: {known})") from None


def missing_capabilities(has: Mapping[str, Any], required: tuple[str, ...]) -> list[str]:
    """The capabilities ccxt does not offer, natively or emulated."""
    return [name for name in required if not has.get(name)]


def check_capabilities(quirks: VenueQuirks, spot_has: Mapping[str, Any], perp_has: Mapping[str, Any]) -> None:
    """Raise ``VenueUnsupported`` naming every capability the venue's ccxt classes lack."""
    perp_required = REQUIRED_PERP + tuple(_SOURCE_CAPABILITY[s] for s in quirks.perp_price_sources)
    missing = [f"{quirks.spot_class}.{name}" for name in missing_capabilities(spot_has, REQUIRED_SPOT)]
    if quirks.lookup_by_listing:
        perp_required += ("fetchCanceledAndClosedOrders",)
    missing += [f"{quirks.perp_class}.{name}" for name in missing_capabilities(perp_has, perp_required)]
    if missing:
        raise VenueUnsupported(f"{quirks.exchange} lacks capabilities the bot needs: {', '.join(sorted(set(missing)))}")


def check_mode(quirks: VenueQuirks, mode: VenueMode) -> None:
    if mode not in quirks.modes:
        allowed = ", ".join(sorted(m.value for m in quirks.modes))
        raise VenueUnsupported(f"{quirks.exchange} cannot run in mode {mode.value!r} (supported: {allowed})")


def check_client_order_id(client_order_id: str) -> None:
    """Our ids must fit every venue: "hb" + letters/digits, at most 32 characters."""
    if not CLIENT_ORDER_ID.match(client_order_id):
        raise ValueError(
            f"client order id {client_order_id!r} must be 'hb' followed by 1-30 letters or digits (32 at most)"
        )
