"""Wallet figures of the unified account: locked, margins, unrealised PnL, collateral, available balance, totals.

Cross margin (docs/v5/account/wallet-balance; the help centre's "Understanding Collateral Value Ratios"): every
coin counts as collateral at its USD index price x collateral value ratio (``hedgesim.collateral``); the margin
balance is that plus the perpetuals' unrealised PnL; what a new order can use is the margin balance less the
initial margin of positions and resting orders (and the collateral value locked by resting spot orders).
Isolated margin: USDT alone backs the perpetuals, and a position's loss stays inside its own margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hedgesim.account import SETTLE
from hedgesim.collateral import collateral_quantity, tiers_of
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.margin import order_cost, position_im, position_mm
from hedgesim.state import Venue

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CoinBalance:
    """One coin of the unified wallet, as /v5/account/wallet-balance reports it (``collateral``: its USD value
    counted as margin in cross margin)."""

    coin: str
    wallet: Decimal
    locked: Decimal  # held by resting spot orders
    order_im: Decimal
    position_im: Decimal
    position_mm: Decimal
    unrealised: Decimal
    cum_realised: Decimal
    usd_price: Decimal
    collateral: Decimal = ZERO

    @property
    def equity(self) -> Decimal:
        return self.wallet + self.unrealised

    @property
    def used(self) -> Decimal:
        return self.locked + self.order_im + self.position_im

    @property
    def free(self) -> Decimal:
        return self.wallet - self.used


@dataclass(frozen=True, slots=True)
class AccountTotals:
    """Account-level figures in USD."""

    equity: Decimal
    wallet: Decimal
    margin_balance: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    available: Decimal
    perp_upl: Decimal


def spot_locked(venue: Venue) -> dict[str, Decimal]:
    """Coins held by resting spot orders: the quote a buy will pay, the base a sell will deliver."""
    locked: dict[str, Decimal] = {}
    for order in venue.orders.open_orders(Category.SPOT):
        instrument = venue.instrument(Category.SPOT, order.symbol)
        coin, amount = (
            (instrument.quote, order.leaves_qty * order.price)
            if order.side is Side.BUY
            else (instrument.base, order.leaves_qty)
        )
        locked[coin] = locked.get(coin, ZERO) + amount
    return locked


def order_im(venue: Venue, symbol: str | None = None) -> Decimal:
    """Margin reserved for resting linear orders (all symbols, or one): per symbol the larger side of the order
    cost (initial margin, fees to open and close) of what would open or grow a position, at the order prices."""
    per_side: dict[tuple[str, Side], tuple[Decimal, Decimal]] = {}
    for order in venue.orders.open_orders(Category.LINEAR, symbol):
        if order.reduce_only:
            continue
        qty, value = per_side.get((order.symbol, order.side), (ZERO, ZERO))
        per_side[(order.symbol, order.side)] = (qty + order.leaves_qty, value + order.leaves_qty * order.price)
    total = ZERO
    taker = venue.account.fees.rate(Category.LINEAR, maker=False)
    for name in {name for name, _ in per_side}:
        size = venue.account.size_of(name)
        leverage = venue.account.leverage_of(name)
        costs = []
        for side, offset in ((Side.BUY, max(ZERO, -size)), (Side.SELL, max(ZERO, size))):
            qty, value = per_side.get((name, side), (ZERO, ZERO))
            opening = max(ZERO, qty - offset)
            costs.append(order_cost(side.sign * opening, value / qty, leverage, taker) if opening else ZERO)
        total += max(costs)
    return total


def position_figures(venue: Venue, now_ms: int) -> tuple[Decimal, Decimal, Decimal]:
    """(initial margin, maintenance margin, unrealised PnL at the marks) of every open position."""
    im = mm = upnl = ZERO
    taker = venue.account.fees.rate(Category.LINEAR, maker=False)
    for name, position in venue.account.positions.items():
        instrument = venue.linear(name)
        leverage = venue.account.leverage_of(name)
        im += position_im(position.margin, position.size, position.entry, leverage, taker)
        mm += position_mm(instrument, position.size, position.entry, leverage, taker)
        upnl += venue.account.unrealised(name, venue.mark(instrument, now_ms))
    return im, mm, upnl


def usd_price(venue: Venue, coin: str, now_ms: int) -> Decimal:
    if coin == SETTLE:
        return Decimal(1)
    for category in (Category.SPOT, Category.LINEAR):
        if (category, f"{coin}USDT") in venue.instruments:
            return venue.market.last(category, coin, now_ms)
    return ZERO


def collateral_value(venue: Venue, coin: str, qty: Decimal, now_ms: int) -> Decimal:
    """The USD value ``qty`` of ``coin`` counts as margin in cross margin."""
    return collateral_quantity(qty, tiers_of(coin, venue.collateral)) * usd_price(venue, coin, now_ms)


def cross(venue: Venue) -> bool:
    return venue.account.margin_mode is MarginMode.CROSS


def margin_balance(venue: Venue, now_ms: int) -> Decimal:
    """Cross: every coin's collateral value plus the perpetuals' unrealised PnL. Isolated: the USDT wallet."""
    if not cross(venue):
        return venue.account.coins[SETTLE]
    _, _, upnl = position_figures(venue, now_ms)
    coins = venue.account.coins
    return sum((collateral_value(venue, coin, qty, now_ms) for coin, qty in coins.items()), ZERO) + upnl


def available(venue: Venue, now_ms: int) -> Decimal:
    """What a new perpetual order can use (USD): cross, the margin balance less positions' and orders' initial
    margin and the collateral value resting spot orders lock; isolated, the USDT wallet less what is locked, the
    positions' margin and the orders'."""
    im, _, _ = position_figures(venue, now_ms)
    locked = spot_locked(venue)
    if cross(venue):
        held = sum((collateral_value(venue, coin, qty, now_ms) for coin, qty in locked.items()), ZERO)
        return margin_balance(venue, now_ms) - im - order_im(venue) - held
    return venue.account.coins[SETTLE] - locked.get(SETTLE, ZERO) - im - order_im(venue)


def coin_free(venue: Venue, coin: str, now_ms: int) -> Decimal:
    """What a spot order can spend of ``coin``: the wallet less what resting spot orders lock, and for USDT no
    more than the account has available."""
    free = venue.account.coins.get(coin, ZERO) - spot_locked(venue).get(coin, ZERO)
    return min(free, available(venue, now_ms)) if coin == SETTLE else free


def collateral_loss(venue: Venue, coin: str, qty: Decimal, now_ms: int) -> Decimal:
    """The margin (USD) the account loses in cross margin when ``qty`` of ``coin`` leaves the wallet."""
    if not cross(venue):
        return qty if coin == SETTLE else ZERO
    held = venue.account.coins.get(coin, ZERO)
    return collateral_value(venue, coin, held, now_ms) - collateral_value(venue, coin, held - qty, now_ms)


def coin_balances(venue: Venue, now_ms: int) -> list[CoinBalance]:
    """Every coin the account holds or has held, USDT first."""
    locked = spot_locked(venue)
    im, mm, upnl = position_figures(venue, now_ms)
    orders = order_im(venue)
    rows = []
    for coin in sorted(venue.account.coins, key=lambda c: (c != SETTLE, c)):
        settle = coin == SETTLE
        wallet = venue.account.coins[coin]
        rows.append(
            CoinBalance(
                coin=coin,
                wallet=wallet,
                locked=locked.get(coin, ZERO),
                order_im=orders if settle else ZERO,
                position_im=im if settle else ZERO,
                position_mm=mm if settle else ZERO,
                unrealised=upnl if settle else ZERO,
                cum_realised=venue.account.realised_by_coin.get(coin, ZERO),
                usd_price=usd_price(venue, coin, now_ms),
                collateral=collateral_value(venue, coin, wallet, now_ms),
            )
        )
    return rows


def totals(venue: Venue, rows: list[CoinBalance], now_ms: int) -> AccountTotals:
    settle = next(row for row in rows if row.coin == SETTLE)
    initial = settle.position_im + settle.order_im
    if cross(venue):
        wallet = sum((row.collateral for row in rows), ZERO)
        margin = wallet + settle.unrealised
        spare = available(venue, now_ms)
    else:
        wallet = sum((row.wallet * row.usd_price for row in rows), ZERO)
        margin = settle.wallet + settle.unrealised
        spare = settle.free
    return AccountTotals(
        equity=sum((row.equity * row.usd_price for row in rows), ZERO),
        wallet=wallet,
        margin_balance=margin,
        initial_margin=initial,
        maintenance_margin=settle.position_mm,
        available=max(ZERO, spare),
        perp_upl=settle.unrealised,
    )
