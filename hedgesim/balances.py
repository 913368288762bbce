"""Wallet figures of the unified account: locked, margins, unrealised PnL, free balance and account totals.

The USDT wallet backs every perpetual. What is free is the wallet less what spot orders lock, less the initial
margin of positions and of resting orders that would open or grow a position; in cross margin unrealised PnL
counts too (in isolated margin a position's loss stays inside its own margin). Other coins are spot holdings
only: the simulator does not lend against them as collateral.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hedgesim.account import SETTLE
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.margin import maintenance
from hedgesim.state import Venue

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CoinBalance:
    """One coin of the unified wallet, as /v5/account/wallet-balance reports it."""

    coin: str
    wallet: Decimal
    locked: Decimal  # held by resting spot orders
    order_im: Decimal
    position_im: Decimal
    position_mm: Decimal
    unrealised: Decimal
    cum_realised: Decimal
    usd_price: Decimal

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
    """Initial margin reserved for resting linear orders (all symbols, or one): per symbol the larger side of
    what would open or grow a position, at the order prices, over the symbol's leverage."""
    per_side: dict[tuple[str, Side], tuple[Decimal, Decimal]] = {}
    for order in venue.orders.open_orders(Category.LINEAR, symbol):
        if order.reduce_only:
            continue
        qty, value = per_side.get((order.symbol, order.side), (ZERO, ZERO))
        per_side[(order.symbol, order.side)] = (qty + order.leaves_qty, value + order.leaves_qty * order.price)
    total = ZERO
    for name in {name for name, _ in per_side}:
        size = venue.account.size_of(name)
        opening = []
        for side, offset in ((Side.BUY, max(ZERO, -size)), (Side.SELL, max(ZERO, size))):
            qty, value = per_side.get((name, side), (ZERO, ZERO))
            opening.append(value * max(ZERO, qty - offset) / qty if qty else ZERO)
        total += max(opening) / venue.account.leverage_of(name)
    return total


def position_figures(venue: Venue, now_ms: int) -> tuple[Decimal, Decimal, Decimal]:
    """(initial margin, maintenance margin, unrealised PnL) of every open position at the current marks."""
    im = mm = upnl = ZERO
    for name, position in venue.account.positions.items():
        instrument = venue.linear(name)
        mark = venue.mark(instrument, now_ms)
        im += position.margin
        mm += maintenance(instrument, abs(position.size) * mark)
        upnl += venue.account.unrealised(name, mark)
    return im, mm, upnl


def usdt_available(venue: Venue, now_ms: int) -> Decimal:
    """USDT free for a new order: what a buy on spot can spend, or the margin a perpetual order can use."""
    im, _, upnl = position_figures(venue, now_ms)
    cross = venue.account.margin_mode is MarginMode.CROSS
    locked = spot_locked(venue).get(SETTLE, ZERO)
    return venue.account.coins[SETTLE] - locked - im - order_im(venue) + (upnl if cross else ZERO)


def coin_free(venue: Venue, coin: str, now_ms: int) -> Decimal:
    if coin == SETTLE:
        return usdt_available(venue, now_ms)
    return venue.account.coins.get(coin, ZERO) - spot_locked(venue).get(coin, ZERO)


def usd_price(venue: Venue, coin: str, now_ms: int) -> Decimal:
    if coin == SETTLE:
        return Decimal(1)
    for category in (Category.SPOT, Category.LINEAR):
        if (category, f"{coin}USDT") in venue.instruments:
            return venue.market.last(category, coin, now_ms)
    return ZERO


def coin_balances(venue: Venue, now_ms: int) -> list[CoinBalance]:
    """Every coin the account holds or has held, USDT first."""
    locked = spot_locked(venue)
    im, mm, upnl = position_figures(venue, now_ms)
    rows = []
    for coin in sorted(venue.account.coins, key=lambda c: (c != SETTLE, c)):
        settle = coin == SETTLE
        rows.append(
            CoinBalance(
                coin=coin,
                wallet=venue.account.coins[coin],
                locked=locked.get(coin, ZERO),
                order_im=order_im(venue) if settle else ZERO,
                position_im=im if settle else ZERO,
                position_mm=mm if settle else ZERO,
                unrealised=upnl if settle else ZERO,
                cum_realised=venue.account.realised_by_coin.get(coin, ZERO),
                usd_price=usd_price(venue, coin, now_ms),
            )
        )
    return rows


def totals(venue: Venue, rows: list[CoinBalance]) -> AccountTotals:
    settle = next(row for row in rows if row.coin == SETTLE)
    margin_balance = settle.wallet + settle.unrealised
    initial = settle.position_im + settle.order_im
    return AccountTotals(
        equity=sum((row.equity * row.usd_price for row in rows), ZERO),
        wallet=sum((row.wallet * row.usd_price for row in rows), ZERO),
        margin_balance=margin_balance,
        initial_margin=initial,
        maintenance_margin=settle.position_mm,
        available=max(
            ZERO, settle.free + (settle.unrealised if venue.account.margin_mode is MarginMode.CROSS else ZERO)
        ),
        perp_upl=settle.unrealised,
    )
