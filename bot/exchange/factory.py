"""Build a venue's ExchangePort (or, for a dry run, its read half alone) from its settings and credentials, in mode
sim, testnet, demo or live."""

from __future__ import annotations

import copy
from typing import Any

import ccxt.async_support as ccxt
import structlog

from bot.clock import Clock
from bot.credentials import Credentials
from bot.domain import MarginMode
from bot.errors import VenueUnsupported, WriteRefused
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.ccxt_reader import CcxtReader
from bot.exchange.quirks import DemoSwitch, VenueQuirks, check_capabilities, check_mode, quirks_for
from bot.exchange.retry import RetryPolicy
from bot.settings import VenueMode, VenueSettings

log = structlog.get_logger(__name__)


def build_exchange(
    venue: VenueSettings,
    credentials: Credentials,
    clock: Clock,
    *,
    margin_mode: MarginMode = MarginMode.ISOLATED,
    retry: RetryPolicy | None = None,
    session: Any = None,
) -> CcxtExchange:
    """The port for ``venue``, reads and writes. Raises ``VenueUnsupported`` if the venue cannot run in its mode or
    lacks a capability the bot needs.

    ``session`` is an aiohttp ``ClientSession`` for every ccxt instance of the venue to share; by default each
    instance opens its own (and closes it in ``close()``).
    """
    quirks, spot, perp = _instances(venue, credentials, session, read_only=False)
    if venue.mode is VenueMode.LIVE:
        log.warning("exchange.live", venue=venue.name, note="live trading: orders move real money")
    return CcxtExchange(venue.name, quirks, spot, perp, clock, retry=retry, margin_mode=margin_mode)


def build_reader(
    venue: VenueSettings,
    credentials: Credentials,
    clock: Clock,
    *,
    margin_mode: MarginMode = MarginMode.ISOLATED,
    retry: RetryPolicy | None = None,
    session: Any = None,
) -> CcxtReader:
    """The read half of the port for ``venue`` (a dry run's): a ``CcxtReader``, which has no method that changes
    the venue, over ccxt instances that refuse to send any request but a GET (``WriteRefused``)."""
    quirks, spot, perp = _instances(venue, credentials, session, read_only=True)
    return CcxtReader(venue.name, quirks, spot, perp, clock, retry=retry, margin_mode=margin_mode)


def _instances(
    venue: VenueSettings, credentials: Credentials, session: Any, *, read_only: bool
) -> tuple[VenueQuirks, Any, Any]:
    quirks = quirks_for(venue.exchange)
    check_mode(quirks, venue.mode)
    spot = _ccxt_instance(quirks.spot_class, quirks, venue, credentials, session, read_only)
    perp = (
        spot
        if quirks.perp_class == quirks.spot_class
        else _ccxt_instance(quirks.perp_class, quirks, venue, credentials, session, read_only)
    )
    check_capabilities(quirks, spot.has, perp.has)
    log.info(
        "exchange.built",
        venue=venue.name,
        exchange=venue.exchange,
        mode=venue.mode,
        api=_hosts(perp),
        read_only=read_only,
    )
    return quirks, spot, perp


def refuse_writes(exchange: Any) -> None:
    """Make a ccxt instance refuse, before anything is sent, every HTTP request but a GET: the venues' REST APIs
    read with GET and change state with POST, PUT or DELETE."""
    send = exchange.fetch

    async def read_only_fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        if method.upper() != "GET":
            path = exchange.implode_hostname(url).split("?")[0]
            raise WriteRefused(f"{exchange.id}: a read-only (dry-run) connection refused {method} {path}: nothing sent")
        return await send(url, method, headers, body)

    exchange.fetch = read_only_fetch


def _ccxt_instance(
    class_name: str, quirks: VenueQuirks, venue: VenueSettings, credentials: Credentials, session: Any, read_only: bool
) -> Any:
    config: dict[str, Any] = {
        "apiKey": credentials.api_key.get_secret_value(),
        "secret": credentials.secret.get_secret_value(),
        "timeout": int(venue.timeout_seconds * 1000),
        "enableRateLimit": venue.client_rate_limit,
        "options": {**copy.deepcopy(dict(quirks.ccxt_options.get(class_name, {}))), **venue.options},
    }
    if credentials.passphrase is not None:
        config["password"] = credentials.passphrase.get_secret_value()
    if session is not None:
        config["session"] = session
    exchange = getattr(ccxt, class_name)(config)
    if exchange.precisionMode != ccxt.TICK_SIZE:
        raise VenueUnsupported(f"{class_name}: the adapter reads ccxt TICK_SIZE precision only")
    # Currency metadata is not needed, and on some venues it costs a private request and a permission at start-up.
    exchange.has["fetchCurrencies"] = False
    _select_environment(exchange, quirks, venue)
    if read_only:
        refuse_writes(exchange)
    return exchange


def _select_environment(exchange: Any, quirks: VenueQuirks, venue: VenueSettings) -> None:
    if venue.mode is VenueMode.SIM:
        # The local simulator speaks Bybit v5 at one base URL: point every API entry at it.
        base = (venue.url or "").rstrip("/")
        exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], base)
    elif venue.mode is VenueMode.TESTNET:
        exchange.set_sandbox_mode(True)
    elif venue.mode is VenueMode.DEMO:
        if quirks.demo is DemoSwitch.DEMO_URLS:
            exchange.enable_demo_trading(True)
        else:
            exchange.set_sandbox_mode(True)


def _hosts(exchange: Any) -> list[str]:
    api = exchange.urls["api"]
    urls = api.values() if isinstance(api, dict) else [api]
    return sorted({exchange.implode_hostname(str(url)) for url in urls})
