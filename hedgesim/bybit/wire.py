"""Engine values in Bybit v5's exact JSON shapes: string numbers, Bybit's field names, empty strings for none.

Prices, quantities and money are strings; the fields Bybit's v5 documentation types as integer (or long) are JSON
integers: order book ``ts``, ``u``, ``seq``, ``cts`` (docs/v5/market/orderbook); an order's ``positionIdx``,
``triggerDirection``, ``smpGroup`` (docs/v5/order/open-order, order-list); a position's ``positionIdx``,
``riskId``, ``autoAddMargin``, ``adlRankIndicator``, ``tradeMode``, ``seq`` (docs/v5/position/position); an
execution's ``seq`` (docs/v5/order/execution). ccxt's recorded fixtures stringify every number, so they are no
evidence of types.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from hedgesim.balances import AccountTotals, CoinBalance
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category, Instrument, RiskTier
from hedgesim.orders import Execution, SimOrder
from hedgesim.views import BookView, PositionView, TickerView

TEN_PLACES = Decimal("1e-10")
MARGIN_MODES = {MarginMode.ISOLATED: "ISOLATED_MARGIN", MarginMode.CROSS: "REGULAR_MARGIN"}


@lru_cache(maxsize=65_536, typed=True)
def num(value: Decimal | int | None) -> str:
    """A number as Bybit writes it: plain decimal notation, no exponent, at most ten decimals; None is "".
    Remembered: prices on the tick, sizes on the lot and settings repeat from reply to reply."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        value = value.quantize(TEN_PLACES, rounding=ROUND_HALF_EVEN)  # never the thread's context (ccxt changes it)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def side(value: Side) -> str:
    return "Buy" if value is Side.BUY else "Sell"


def instrument(item: Instrument) -> dict[str, Any]:
    """A /v5/market/instruments-info list item."""
    if item.category is Category.SPOT:
        return {
            "symbol": item.name,
            "baseCoin": item.base,
            "quoteCoin": item.quote,
            "innovation": "0",
            "status": "Trading",
            "marginTrading": "utaOnly",
            "stTag": "0",
            "lotSizeFilter": {
                "basePrecision": num(item.qty_step),
                "quotePrecision": "0.0000001",
                "minOrderQty": num(item.min_qty),
                "maxOrderQty": num(item.max_qty),
                "minOrderAmt": num(item.min_notional),
                "maxOrderAmt": num(item.max_notional),
            },
            "priceFilter": {"tickSize": num(item.tick_size)},
            "riskParameters": {
                "priceLimitRatioX": num(item.price_limit_x),
                "priceLimitRatioY": num(item.price_limit_y),
            },
        }
    return {
        "symbol": item.name,
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": item.base,
        "quoteCoin": item.quote,
        "launchTime": str(item.launch_time_ms),
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": str(_decimals(item.tick_size)),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": f"{item.max_leverage:.2f}", "leverageStep": "0.01"},
        "priceFilter": {
            "minPrice": num(item.tick_size),
            "maxPrice": num(item.tick_size * 19_999_998),
            "tickSize": num(item.tick_size),
        },
        "lotSizeFilter": {
            "maxOrderQty": num(item.max_qty),
            "minOrderQty": num(item.min_qty),
            "qtyStep": num(item.qty_step),
            "postOnlyMaxOrderQty": num(item.max_qty),
            "maxMktOrderQty": num(item.max_market_qty),
            "minNotionalValue": num(item.min_notional),
        },
        "unifiedMarginTrade": True,
        "fundingInterval": str(item.funding_interval_minutes),
        "settleCoin": item.quote,
        "copyTrading": "both",
        "upperFundingRate": "0.005",
        "lowerFundingRate": "-0.005",
        "isPreListing": False,
        "preListingInfo": None,
        "riskParameters": {"priceLimitRatioX": num(item.price_limit_x), "priceLimitRatioY": num(item.price_limit_y)},
        "displayName": "",
    }


def risk_tier(item: Instrument, tier: RiskTier) -> dict[str, Any]:
    """A /v5/market/risk-limit list item: ``id`` and ``isLowestRisk`` integers, the rates strings as in the
    documentation's example."""
    lowest = tier is item.tiers[0]
    return {
        "id": tier.risk_id,
        "symbol": item.name,
        "riskLimitValue": num(tier.limit),
        "maintenanceMargin": num(tier.mmr),
        "initialMargin": num(tier.imr),
        "isLowestRisk": 1 if lowest else 0,
        "maxLeverage": f"{tier.max_leverage:.2f}",
        "mmDeduction": "" if lowest else num(tier.mm_deduction),
    }


def ticker(view: TickerView) -> dict[str, Any]:
    """A /v5/market/tickers list item (spot items have no derivatives fields: ccxt tells them apart by that)."""
    day = view.day
    change = (view.last - day.open) / day.open if day.open else Decimal(0)
    base = {
        "symbol": view.instrument.name,
        "lastPrice": num(view.last),
        "prevPrice24h": num(view.instrument.on_tick(day.open)),
        "price24hPcnt": num(change.quantize(Decimal("0.000001"))),
        "highPrice24h": num(view.instrument.on_tick(day.high)),
        "lowPrice24h": num(view.instrument.on_tick(day.low)),
        "turnover24h": num(day.turnover.quantize(Decimal("0.0001"))),
        "volume24h": num(day.volume),
        "bid1Price": num(view.bid.price),
        "bid1Size": num(view.bid.size),
        "ask1Price": num(view.ask.price),
        "ask1Size": num(view.ask.size),
    }
    if view.instrument.category is Category.SPOT:
        return base | {"usdIndexPrice": num(view.last)}
    open_interest = (day.volume / 4).quantize(view.instrument.qty_step)
    return base | {
        "indexPrice": num(view.index),
        "markPrice": num(view.mark),
        "prevPrice1h": num(view.price_1h_ago),
        "openInterest": num(open_interest),
        "openInterestValue": num((open_interest * view.last).quantize(Decimal("0.01"))),
        "fundingRate": num(view.funding_rate),
        "nextFundingTime": num(view.next_funding_ms),
        "predictedDeliveryPrice": "",
        "basisRate": "",
        "deliveryFeeRate": "",
        "deliveryTime": "0",
        "basis": "",
        "preOpenPrice": "",
        "preQty": "",
        "curPreListingPhase": "",
    }


def orderbook(view: BookView, update_id: int, seq: int) -> dict[str, Any]:
    """A /v5/market/orderbook result: update id, cross sequence and both times are integers (docs/v5/market/
    orderbook lists ``seq`` and ``cts`` for every category)."""
    return {
        "s": view.instrument.name,
        "b": [[num(level.price), num(level.size)] for level in view.bids],
        "a": [[num(level.price), num(level.size)] for level in view.asks],
        "ts": view.time_ms,
        "u": update_id,
        "seq": seq,
        "cts": view.time_ms,
    }


def public_trade(instrument: Instrument, time_ms: int, price: Decimal, size: Decimal, buy: bool) -> dict[str, Any]:
    """A /v5/market/recent-trade list item (docs/v5/market/recent-trade); the id is its time, price and size."""
    return {
        "execId": f"{time_ms}-{num(price)}-{num(size)}",
        "symbol": instrument.name,
        "price": num(price),
        "size": num(size),
        "side": "Buy" if buy else "Sell",
        "time": str(time_ms),
        "isBlockTrade": False,
    }


def order(item: SimOrder) -> dict[str, Any]:
    """A /v5/order/realtime or /v5/order/history list item."""
    linear = item.category is Category.LINEAR
    avg = item.avg_price
    fields: dict[str, Any] = {
        "symbol": item.symbol,
        "orderType": item.order_type.value,
        "orderLinkId": item.link_id,
        "slLimitPrice": "0",
        "orderId": item.order_id,
        "cancelType": item.cancel_type,
        "avgPrice": num(avg) if avg is not None else ("" if linear else "0"),
        "stopOrderType": "",
        "lastPriceOnCreated": num(item.last_price_on_created) if linear else "",
        "orderStatus": item.status.value,
        "takeProfit": "" if linear else "0",
        "cumExecValue": num(item.cum_value),
        "smpType": "None",
        "triggerDirection": 0,
        "blockTradeId": "",
        "rejectReason": item.reject_reason,
        "isLeverage": "" if linear else "0",
        "price": num(item.price),
        "orderIv": "",
        "createdTime": str(item.created_ms),
        "tpTriggerBy": "",
        "positionIdx": 0,
        "timeInForce": item.time_in_force.value,
        "leavesValue": num(item.leaves_qty * item.price),
        "updatedTime": str(item.updated_ms),
        "side": side(item.side),
        "smpGroup": 0,
        "triggerPrice": "" if linear else "0",
        "tpLimitPrice": "0",
        "cumExecFee": num(item.cum_fee),
        "slTriggerBy": "",
        "leavesQty": num(item.leaves_qty),
        "closeOnTrigger": False,
        "placeType": "",
        "cumExecQty": num(item.cum_qty),
        "reduceOnly": item.reduce_only,
        "qty": num(item.qty),
        "stopLoss": "" if linear else "0",
        "marketUnit": item.market_unit,
        "smpOrderId": "",
        "triggerBy": "",
    }
    if linear:  # ccxt recognises a contract order by tpslMode
        fields |= {
            "createType": item.create_type,
            "tpslMode": "",
            "cumFeeDetail": {item.fee_coin: num(item.cum_fee)} if item.cum_fee else {},
            "slippageToleranceType": "UNKNOWN",
            "slippageTolerance": "0",
            "extraFees": "",
        }
    return fields


def execution(item: Execution) -> dict[str, Any]:
    """A /v5/execution/list item: a trade, a funding settlement or a liquidation takeover."""
    linear = item.category is Category.LINEAR
    fields: dict[str, Any] = {
        "symbol": item.symbol,
        "orderType": item.order_type,
        "underlyingPrice": "",
        "orderLinkId": item.link_id,
        "orderId": item.order_id,
        "stopOrderType": "UNKNOWN" if linear else "",
        "execTime": str(item.time_ms),
        "feeCurrency": "" if linear else item.fee_coin,
        "feeRate": num(item.fee_rate),
        "tradeIv": "",
        "blockTradeId": "",
        "markPrice": num(item.mark_price),
        "execPrice": num(item.price),
        "markIv": "",
        "orderQty": num(item.order_qty),
        "orderPrice": num(item.order_price),
        "execValue": num(item.value),
        "closedSize": num(item.closed_size) if linear else "",
        "execType": item.exec_type.value,
        "seq": item.seq,
        "side": side(item.side),
        "indexPrice": num(item.index_price),
        "leavesQty": num(item.leaves_qty),
        "isMaker": item.is_maker,
        "execFee": num(item.fee),
        "execId": item.exec_id,
        "marketUnit": "",
        "execQty": num(item.qty),
    }
    if linear:  # ccxt recognises a contract execution by createType
        fields["createType"] = item.create_type
    return fields


def position(view: PositionView) -> dict[str, Any]:
    """A /v5/position/list item; a flat position is a row with side "" and size "0" (``seq`` -1 if the symbol was
    never traded, ``createdTime`` when a position was first opened on it: docs/v5/position/position)."""
    held = view.position
    tier = view.instrument.tier_for(view.value)
    return {
        "symbol": view.instrument.name,
        "leverage": num(view.leverage),
        "autoAddMargin": 0,
        "avgPrice": num(held.entry) if held else "0",
        "liqPrice": num(view.liquidation),
        "riskLimitValue": num(tier.limit),
        "takeProfit": "",
        "positionValue": num(view.value) if held else "",
        "isReduceOnly": False,
        "tpslMode": "Full",
        "riskId": tier.risk_id,
        "trailingStop": "0",
        "unrealisedPnl": num(view.unrealised) if held else "",
        "curRealisedPnl": num(held.cur_realised) if held else "0",
        "markPrice": num(view.mark),
        "adlRankIndicator": 2 if held else 0,
        "cumRealisedPnl": num(view.cum_realised),
        "positionMM": num(_money(view.maintenance)),
        "createdTime": str(view.created_ms),
        "positionIdx": 0,
        "positionIM": num(_money(view.initial)),
        "seq": view.seq,
        "updatedTime": str(held.updated_ms if held else view.touched_ms),
        "side": side(held.side) if held else "",
        "bustPrice": "",  # deprecated, always "" (docs/v5/position/position)
        "positionBalance": num(_money(view.initial)),  # deprecated: the documentation refers to positionIM
        "leverageSysUpdatedTime": "",
        "size": num(abs(held.size)) if held else "0",
        "positionStatus": "Normal",
        "mmrSysUpdatedTime": "",
        "stopLoss": "",
        "tradeMode": 0,  # deprecated, always 0 on a unified account: the margin mode is in /v5/account/info
    }


def wallet(rows: list[CoinBalance], totals: AccountTotals) -> dict[str, Any]:
    """The unified account entry of /v5/account/wallet-balance."""
    margin = totals.margin_balance

    def rate(value: Decimal) -> str:
        return num((value / margin).quantize(Decimal("0.0001"))) if margin > 0 else "0"

    return {
        "totalEquity": num(_money(totals.equity)),
        "accountIMRate": rate(totals.initial_margin),
        "totalMarginBalance": num(_money(margin)),
        "totalInitialMargin": num(_money(totals.initial_margin)),
        "accountType": "UNIFIED",
        "totalAvailableBalance": num(_money(totals.available)),
        "accountMMRate": rate(totals.maintenance_margin),
        "totalPerpUPL": num(_money(totals.perp_upl)),
        "totalWalletBalance": num(_money(totals.wallet)),
        "accountLTV": "0",
        "totalMaintenanceMargin": num(_money(totals.maintenance_margin)),
        "coin": [coin(row) for row in rows],
    }


def coin(row: CoinBalance) -> dict[str, Any]:
    return {
        "availableToBorrow": "",
        "bonus": "0",
        "accruedInterest": "0",
        "availableToWithdraw": "",  # deprecated by Bybit for unified accounts: ccxt derives free from the rest
        "totalOrderIM": num(row.order_im),
        "equity": num(row.equity),
        "totalPositionMM": num(row.position_mm),
        "usdValue": num(_money(row.equity * row.usd_price)),
        "unrealisedPnl": num(row.unrealised),
        "collateralSwitch": True,
        "spotHedgingQty": "0",
        "borrowAmount": "0.000000000000000000",
        "totalPositionIM": num(row.position_im),
        "walletBalance": num(row.wallet),
        "cumRealisedPnl": num(row.cum_realised),
        "locked": num(row.locked),
        "marginCollateral": True,
        "coin": row.coin,
    }


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1e-8"))


def _decimals(step: Decimal) -> int:
    exponent = step.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
