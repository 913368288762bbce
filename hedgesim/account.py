"""The simulated unified account: coin wallets, one-way linear positions, leverage, margin mode and fees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from hedgesim.enums import MarginMode, Side
from hedgesim.errors import SimReject
from hedgesim.instruments import Category, Instrument
from hedgesim.margin import position_im, unrealised

ZERO = Decimal(0)
SETTLE = "USDT"


@dataclass(frozen=True, slots=True)
class Fees:
    """Fee rates (Bybit's base tier by default): linear maker 0.02 %, taker 0.055 %; spot 0.1 % both."""

    linear_maker: Decimal = Decimal("0.0002")
    linear_taker: Decimal = Decimal("0.00055")
    spot_maker: Decimal = Decimal("0.001")
    spot_taker: Decimal = Decimal("0.001")

    def rate(self, category: Category, maker: bool) -> Decimal:
        if category is Category.SPOT:
            return self.spot_maker if maker else self.spot_taker
        return self.linear_maker if maker else self.linear_taker


@dataclass(frozen=True, slots=True)
class Position:
    """An open one-way linear position (``size`` < 0 is a short) and the margin held for it."""

    symbol: str
    size: Decimal
    entry: Decimal
    margin: Decimal  # initial margin: the isolated position balance, or the cross position's IM
    cur_realised: Decimal  # realised PnL (fees and funding included) since the position opened
    created_ms: int
    updated_ms: int

    @property
    def side(self) -> Side:
        return Side.BUY if self.size > 0 else Side.SELL


@dataclass(frozen=True, slots=True)
class Fill:
    """What one execution did to the account: the fee paid (in ``fee_coin``) and the position size it closed."""

    fee: Decimal
    fee_rate: Decimal
    fee_coin: str
    closed: Decimal = ZERO
    realised: Decimal = ZERO


class Account:
    """Balances and positions of the one account the simulator serves. Every amount is an exact Decimal."""

    def __init__(
        self, balances: Mapping[str, Decimal], fees: Fees, default_leverage: Decimal, margin_mode: MarginMode
    ) -> None:
        self.coins: dict[str, Decimal] = {coin: Decimal(qty) for coin, qty in balances.items()}
        self.coins.setdefault(SETTLE, ZERO)
        self.fees = fees
        self.default_leverage = default_leverage
        self.margin_mode = margin_mode
        self.hedge_mode = False
        self.positions: dict[str, Position] = {}
        self.leverage: dict[str, Decimal] = {}
        self.cum_realised: dict[str, Decimal] = {}
        self.touched: dict[str, int] = {}  # when each symbol's position last changed (flat rows show it)
        self.first_opened: dict[str, int] = {}  # when a position was first opened on each symbol (createdTime)
        self.seq: dict[str, int] = {}  # the cross sequence of each symbol's last execution (position seq)
        self.realised_by_coin: dict[str, Decimal] = {}

    def leverage_of(self, symbol: str) -> Decimal:
        return self.leverage.get(symbol, self.default_leverage)

    def size_of(self, symbol: str) -> Decimal:
        position = self.positions.get(symbol)
        return position.size if position else ZERO

    def unrealised(self, symbol: str, mark: Decimal) -> Decimal:
        position = self.positions.get(symbol)
        return unrealised(position.size, position.entry, mark) if position else ZERO

    # cash ---------------------------------------------------------------------------------------------------

    def deposit(self, coin: str, qty: Decimal) -> None:
        if qty <= 0:
            raise SimReject(10001, "params error: amount must be positive")
        self.coins[coin] = self.coins.get(coin, ZERO) + qty

    def withdraw(self, coin: str, qty: Decimal, free: Decimal) -> None:
        if qty <= 0:
            raise SimReject(10001, "params error: amount must be positive")
        if qty > free:
            raise SimReject(131001, f"the available balance is not sufficient: {coin} free {free}, asked {qty}")
        self.coins[coin] -= qty

    # fills --------------------------------------------------------------------------------------------------

    def spot_fill(self, instrument: Instrument, side: Side, qty: Decimal, price: Decimal, maker: bool) -> Fill:
        """Swap base and quote; the fee is taken from what the account receives (base on a buy)."""
        rate = self.fees.rate(Category.SPOT, maker)
        base, quote = instrument.base, instrument.quote
        value = qty * price
        if side is Side.BUY:
            fee, coin = qty * rate, base
            self._add(quote, -value)
            self._add(base, qty - fee)
        else:
            fee, coin = value * rate, quote
            self._add(base, -qty)
            self._add(quote, value - fee)
        return Fill(fee, rate, coin)

    def linear_fill(
        self, instrument: Instrument, side: Side, qty: Decimal, price: Decimal, maker: bool, now_ms: int
    ) -> Fill:
        """Apply a perpetual trade: open, add to, reduce, close or flip the position; realise PnL; pay the fee."""
        rate = self.fees.rate(Category.LINEAR, maker)
        fee = qty * price * rate
        symbol = instrument.name
        leverage = self.leverage_of(symbol)
        old = self.positions.get(symbol)
        delta = side.sign * qty
        closed = realised = ZERO
        if old is None or (old.size > 0) == (delta > 0):
            size = (old.size if old else ZERO) + delta
            entry = ((abs(old.size) * old.entry if old else ZERO) + qty * price) / abs(size)
            margin = (old.margin if old else ZERO) + qty * price / leverage
            cur = (old.cur_realised if old else ZERO) - fee
            self.positions[symbol] = Position(
                symbol, size, entry, margin, cur, old.created_ms if old else now_ms, now_ms
            )
        else:
            held = abs(old.size)
            closed = min(qty, held)
            realised = (price - old.entry) * closed * (1 if old.size > 0 else -1)
            self._add(SETTLE, realised)
            opened = qty - closed
            if closed < held:
                self.positions[symbol] = replace(
                    old,
                    size=old.size + delta,
                    margin=old.margin * (held - closed) / held,
                    cur_realised=old.cur_realised + realised - fee,
                    updated_ms=now_ms,
                )
            elif opened > 0:
                share = fee * opened / qty
                self.positions[symbol] = Position(
                    symbol, delta * opened / qty, price, opened * price / leverage, -share, now_ms, now_ms
                )
            else:
                del self.positions[symbol]
        self._add(SETTLE, -fee)
        self._realise(symbol, realised - fee)
        self.touched[symbol] = now_ms
        self.first_opened.setdefault(symbol, now_ms)
        return Fill(fee, rate, SETTLE, closed, realised)

    def settle_funding(self, symbol: str, rate: Decimal, mark: Decimal, now_ms: int) -> Decimal:
        """Pay (or receive, if negative) funding on position value at ``mark``; positive rate: longs pay. In
        isolated margin the payment comes out of (or goes into) the position's margin, moving its liquidation
        price (help centre, "Position Margin": funding "deducted from position margin")."""
        position = self.positions[symbol]
        payment = position.size * mark * rate
        self._add(SETTLE, -payment)
        self._realise(symbol, -payment)
        margin = position.margin - payment if self.margin_mode is MarginMode.ISOLATED else position.margin
        self.positions[symbol] = replace(
            position, margin=margin, cur_realised=position.cur_realised - payment, updated_ms=now_ms
        )
        return payment

    def close_out(self, symbol: str, price: Decimal, fee: Decimal, now_ms: int) -> tuple[Position, Decimal]:
        """Close the whole position at ``price``, paying ``fee`` (the liquidation engine's takeover)."""
        position = self.positions.pop(symbol)
        self.touched[symbol] = now_ms
        realised = unrealised(position.size, position.entry, price)
        self._add(SETTLE, realised - fee)
        self._realise(symbol, realised - fee)
        return position, realised

    def set_leverage(self, symbol: str, leverage: Decimal, available: Decimal) -> None:
        """Change a symbol's leverage; an open position's margin follows (more margin needs it available)."""
        position = self.positions.get(symbol)
        if position is not None:
            taker = self.fees.rate(Category.LINEAR, maker=False)
            margin = abs(position.size) * position.entry / leverage
            before = position_im(position.margin, position.size, position.entry, self.leverage_of(symbol), taker)
            if position_im(margin, position.size, position.entry, leverage, taker) - before > available:
                raise SimReject(110044, "Insufficient available margin")
            self.positions[symbol] = replace(position, margin=margin)
        self.leverage[symbol] = leverage

    def _add(self, coin: str, qty: Decimal) -> None:
        self.coins[coin] = self.coins.get(coin, ZERO) + qty

    def _realise(self, symbol: str, amount: Decimal) -> None:
        self.cum_realised[symbol] = self.cum_realised.get(symbol, ZERO) + amount
        self.realised_by_coin[SETTLE] = self.realised_by_coin.get(SETTLE, ZERO) + amount
