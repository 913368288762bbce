"""Named test venues: real ccxt classes built by our factory on a fake HTTP session, with recorded replies.

Bybit and Binance replies come from ccxt's recorded fixtures (tests/fixtures/ccxt/, see its README). OKX has no
recordings: its replies here are minimal ones built from OKX's documented v5 shapes.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import Credentials, VenueConfig, VenueMode
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.factory import build_exchange
from bot.exchange.retry import RetryPolicy
from bot.settings import VenueSettings
from bot.settings.from_config import venue_settings
from tests.exchange.fake_http import FakeSession

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ccxt"
NOW = datetime(2025, 10, 10, 12, 0, tzinfo=UTC)
NO_WAIT = RetryPolicy(attempts=4, base_delay=0, max_delay=0, rate_limited_delay=0)
CLIENT_ID = "hb1sol0001"


@cache
def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture(name: str) -> Any:
    """A fresh copy of a fixture file (tests may edit what they get)."""
    return copy.deepcopy(_load(name))


def recorded_reply(venue: str, method: str, description: str | None = None) -> Any:
    """The venue's recorded HTTP reply for a ccxt method (the first case, or the one with this description)."""
    cases = fixture(f"{venue}/response.subset.json")["methods"][method]
    case = next(c for c in cases if description is None or c["description"] == description)
    return case["httpResponse"]


def recorded_request(method: str, description: str) -> dict[str, Any]:
    """What ccxt's own tests record it sends to Bybit for a unified call."""
    cases = fixture("bybit/request.subset.json")["methods"][method]
    case: dict[str, Any] = next(c for c in cases if c["description"] == description)
    if isinstance(case.get("output"), str):
        case["output"] = json.loads(case["output"])  # the recorded JSON body
    return case


def bybit_reply(result: Any, ret_code: int = 0, message: str = "OK") -> dict[str, Any]:
    """Bybit v5's envelope (business errors come as HTTP 200 with retCode != 0)."""
    return {"retCode": ret_code, "retMsg": message, "result": result, "retExtInfo": {}, "time": 1760097600000}


def bybit_order_row(**changes: Any) -> dict[str, Any]:
    """The recorded open linear order (BTCUSDT buy 0.001 @ 102000), with changes."""
    row = recorded_reply("bybit", "fetchOpenOrder")["result"]["list"][0]
    row.update(changes)
    return row


def credentials(passphrase: str | None = None) -> Credentials:
    return Credentials(
        api_key=SecretStr("test-api-key-0001"),
        secret=SecretStr("test-api-secret-0001"),
        passphrase=SecretStr(passphrase) if passphrase else None,
        source="tests",
    )


def venue_config(exchange: str, mode: VenueMode, url: str | None = None) -> VenueSettings:
    """The settings of a venue named after its exchange, with the configuration's defaults."""
    config = VenueConfig(
        exchange=exchange,  # type: ignore[arg-type]
        mode=mode,
        credentials=None if mode is VenueMode.SIM else "TEST",
        url=url,
    )
    return venue_settings(exchange, config)


def build(
    exchange: str,
    mode: VenueMode,
    session: FakeSession,
    *,
    url: str | None = None,
    markets: bool = True,
    retry: RetryPolicy = NO_WAIT,
) -> CcxtExchange:
    """The adapter on a fake session: ccxt's rate limiter off and no close() pause (tests only)."""
    port = build_exchange(
        venue_config(exchange, mode, url),
        credentials("test-passphrase" if exchange == "okx" else None),
        ManualClock(NOW),
        retry=retry,
        session=session,
    )
    for instance in port.exchanges:
        instance.enableRateLimit = False
        instance.timeout_on_exit = 0
    if markets:
        load_recorded_markets(port)
    return port


def load_recorded_markets(port: CcxtExchange) -> None:
    """ccxt's own markets for the venue, loaded without HTTP."""
    if port.quirks.exchange == "okx":
        for instance in port.exchanges:
            instance.set_markets(instance.parse_markets(okx_instruments("SPOT") + okx_instruments("SWAP")))
        return
    if port.quirks.exchange == "binance":  # the brackets ccxt's own recorded tests load (else one request)
        port.perp.options["leverageBrackets"] = fixture("binance/response.subset.json")["options"]["leverageBrackets"]
    recorded = list(fixture(f"{port.quirks.exchange}/markets.ccxt-4.5.90.json").values())
    if port.spot is port.perp:
        port.spot.set_markets(recorded)
    else:
        port.spot.set_markets([m for m in recorded if m["spot"]])
        port.perp.set_markets([m for m in recorded if m["swap"]])


def serve_bybit_account(session: FakeSession) -> None:
    """What ccxt asks Bybit once to learn the account is unified (documented shapes of both endpoints)."""
    session.route("GET", "/v5/user/query-api", bybit_reply({"unified": 0, "uta": 1, "readOnly": 0}))
    session.route("GET", "/v5/account/info", bybit_reply({"unifiedMarginStatus": 5, "marginMode": "ISOLATED_MARGIN"}))


def serve_bybit_instruments(session: FakeSession, extra_spot: int = 0) -> None:
    """The recorded instruments-info records; ``extra_spot`` adds coins cloned from the recorded LTCUSDT record."""
    raw = fixture("bybit/instruments-info.raw.json")
    spot = raw["spot"]
    template = next(r for r in spot if r["symbol"] == "LTCUSDT")
    for index in range(extra_spot):
        coin = f"ALT{index:03d}"
        spot.append({**copy.deepcopy(template), "symbol": f"{coin}USDT", "baseCoin": coin})
    for category in ("spot", "linear"):
        session.route(
            "GET",
            "/v5/market/instruments-info",
            bybit_reply({"category": category, "list": raw[category], "nextPageCursor": ""}),
            when={"category": category},
        )
    session.route(  # ccxt asks for pre-launch linear listings separately: there are none
        "GET",
        "/v5/market/instruments-info",
        bybit_reply({"category": "linear", "list": [], "nextPageCursor": ""}),
        when={"category": "linear", "status": "PreLaunch"},
    )


def okx_reply(data: list[dict[str, Any]], code: str = "0", message: str = "") -> dict[str, Any]:
    """OKX v5's envelope."""
    return {"code": code, "msg": message, "data": data}


def okx_instruments(kind: str) -> list[dict[str, Any]]:
    """Minimal /api/v5/public/instruments records (documented fields) for SOL spot and the SOL-USDT-SWAP."""
    common = {"state": "live", "listTime": "1600000000000", "expTime": "", "uly": "", "instFamily": ""}
    if kind == "SPOT":
        return [
            {
                **common,
                "instType": "SPOT",
                "instId": "SOL-USDT",
                "baseCcy": "SOL",
                "quoteCcy": "USDT",
                "settleCcy": "",
                "ctVal": "",
                "ctMult": "",
                "ctValCcy": "",
                "tickSz": "0.01",
                "lotSz": "0.000001",
                "minSz": "0.01",
                "lever": "10",
                "ctType": "",
            }
        ]
    return [
        {
            **common,
            "instType": "SWAP",
            "instId": "SOL-USDT-SWAP",
            "uly": "SOL-USDT",
            "instFamily": "SOL-USDT",
            "baseCcy": "",
            "quoteCcy": "",
            "settleCcy": "USDT",
            "ctVal": "1",
            "ctMult": "1",
            "ctValCcy": "SOL",
            "tickSz": "0.01",
            "lotSz": "0.01",
            "minSz": "0.01",
            "lever": "50",
            "ctType": "linear",
        }
    ]


D = Decimal
