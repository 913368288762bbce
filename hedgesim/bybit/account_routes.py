"""Private Bybit v5 account and position endpoints, and the ones ccxt calls to learn about the account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hedgesim import balances
from hedgesim.bybit import wire
from hedgesim.bybit.params import Params, page
from hedgesim.engine import SimExchange
from hedgesim.enums import MarginMode
from hedgesim.errors import SimReject, params_error
from hedgesim.instruments import Category
from hedgesim.views import position_view

USER_ID = 100_000_001


def wallet_balance(engine: SimExchange, params: Params) -> dict[str, Any]:
    if params.required("accountType") != "UNIFIED":
        raise params_error("accountType only supports UNIFIED (the simulator is a unified trading account)")
    every = engine.balances()
    wanted = params.text("coin")
    rows = every if wanted is None else [row for row in every if row.coin in wanted.split(",")]
    return {"list": [wire.wallet(rows, balances.totals(engine.venue, every, engine.now_ms()))]}


def positions(engine: SimExchange, params: Params) -> dict[str, Any]:
    """By symbol: that symbol's row, even flat. By settleCoin or baseCoin: open positions only."""
    if params.category() != "linear":
        raise params_error("category only supports linear in the simulator")
    symbol, settle, base = params.text("symbol"), params.text("settleCoin"), params.text("baseCoin")
    if symbol is None and settle is None and base is None:
        raise params_error("Missing some parameters that must be filled in, symbol or settleCoin")
    engine.sync()
    account = engine.venue.account
    if symbol is not None:
        engine.venue.linear(symbol)
        names = [symbol]
    else:
        names = sorted(
            name
            for name in account.positions
            if settle in (None, "USDT") and (base is None or engine.venue.linear(name).base == base)
        )
    chunk, cursor = page(names, params, 20, 200, lambda name: (0, name), descending=False)
    now = engine.now_ms()
    rows = [wire.position(position_view(engine.venue, name, now)) for name in chunk]
    if account.hedge_mode:  # one row per side in hedge mode; the simulator never holds hedge-mode positions
        rows = [row | {"positionIdx": idx} for row in rows for idx in (1, 2)]
    return {"list": rows, "nextPageCursor": cursor, "category": "linear"}


def set_leverage(engine: SimExchange, params: Params) -> dict[str, Any]:
    if params.category() != "linear":
        raise params_error("category only supports linear")
    buy, sell = params.decimal("buyLeverage"), params.decimal("sellLeverage")
    if buy is None or sell is None:
        raise params_error("buyLeverage and sellLeverage are required")
    if buy != sell:
        raise params_error("buyLeverage must equal sellLeverage in one-way mode")
    engine.set_leverage(params.required("symbol"), buy)
    return {}


def switch_mode(engine: SimExchange, params: Params) -> dict[str, Any]:
    if params.category() != "linear":
        raise params_error("category only supports linear")
    if params.text("symbol") is None and params.text("coin") is None:
        raise params_error("symbol or coin is required")
    mode = params.integer("mode")
    if mode not in (0, 3):
        raise params_error("mode must be 0 (one-way) or 3 (hedge)")
    engine.set_hedge_mode(mode == 3)
    return {}


def set_margin_mode(engine: SimExchange, params: Params) -> dict[str, Any]:
    requested = params.required("setMarginMode")
    modes = {"ISOLATED_MARGIN": MarginMode.ISOLATED, "REGULAR_MARGIN": MarginMode.CROSS}
    if requested not in modes:
        reason = {"reasonCode": "3400045", "reasonMsg": "the simulator offers ISOLATED_MARGIN and REGULAR_MARGIN"}
        raise SimReject(3400045, "Set margin mode failed", {"reasons": [reason]})
    engine.set_margin_mode(modes[requested])
    return {"reasons": []}


def account_info(engine: SimExchange, params: Params) -> dict[str, Any]:
    return {
        "marginMode": wire.MARGIN_MODES[engine.venue.account.margin_mode],
        "updatedTime": str(engine.now_ms()),
        "unifiedMarginStatus": 5,
        "dcpStatus": "OFF",
        "timeWindow": 0,  # deprecated, always 0 (docs/v5/account/account-info)
        "smpGroup": 0,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
    }


def fee_rate(engine: SimExchange, params: Params) -> dict[str, Any]:
    category = params.trading_category()
    symbol, base = params.text("symbol"), params.text("baseCoin")
    fees = engine.venue.account.fees
    rows = []
    for instrument in engine.instruments(category):
        if (symbol is None or instrument.name == symbol) and (base is None or instrument.base == base):
            row = {
                "symbol": instrument.name,
                "takerFeeRate": wire.num(fees.rate(category, maker=False)),
                "makerFeeRate": wire.num(fees.rate(category, maker=True)),
            }
            rows.append(row | ({"baseCoin": instrument.base} if category is Category.SPOT else {}))
    return {"list": rows}


def query_api(engine: SimExchange, params: Params) -> dict[str, Any]:
    """The API key's own record (docs/v5/user/apikey-info): its permissions, bound addresses and expiry, as set in
    ``SimConfig.key`` or since changed (``SimExchange.set_key``, the control API); a unified account (uta = 1)."""
    key = engine.key
    created = datetime.fromtimestamp(1_700_000_000, tz=UTC)
    deadline, expired_at = key.expiry(engine.clock.now())
    return {
        "id": "1",
        "note": "hedgebot simulator",
        "apiKey": engine.config.api_key,
        "readOnly": 1 if key.read_only else 0,
        "secret": "",
        "permissions": key.permissions(),
        "ips": list(key.ips) or ["*"],
        "type": 1,
        "deadlineDay": deadline,
        "expiredAt": expired_at,
        "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "unified": 0,
        "uta": 1,
        "userID": USER_ID,
        "inviterID": 0,
        "vipLevel": "No VIP",
        "mktMakerLevel": "0",
        "affiliateID": 0,
        "rsaPublicKey": "",
        "isMaster": True,
        "parentUid": "0",
        "kycLevel": "LEVEL_DEFAULT",
        "kycRegion": "",
    }


def coin_info(engine: SimExchange, params: Params) -> dict[str, Any]:
    """Coins the venue knows (every base asset and USDT), one chain each; ccxt's load_markets reads this."""
    coins = sorted({"USDT", *(i.base for i in engine.venue.instruments.values())})
    wanted = params.text("coin")
    rows = []
    for coin in coins:
        if wanted is not None and coin != wanted:
            continue
        chain = {
            "chainType": coin,
            "confirmation": "12",
            "withdrawFee": "0",
            "depositMin": "0",
            "withdrawMin": "0",
            "chain": coin,
            "chainDeposit": "1",
            "chainWithdraw": "1",
            "minAccuracy": "8",
            "withdrawPercentageFee": "0",
            "contractAddress": "",
        }
        rows.append({"name": coin, "coin": coin, "remainAmount": "1000000", "chains": [chain]})
    return {"rows": rows}
