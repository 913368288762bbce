"""The venue side of a chaos run: the market and account it starts from, and the faults and changes applied to it.

``World`` applies each scheduled fault to the in-process simulator (transport faults through its fault plan,
stale data and price gaps through the engine, someone else's trades on the account) and undoes the ones with a
window when it ends. It keeps what the checks need: the holdings of each hedged asset over time, and the moments
something disturbed the bot (a fault active, a kill, a holdings change), from which calm is measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from hedgesim import FaultKind, SimServer
from hedgesim.enums import Side
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType
from tests.chaos.schedule import Fault, Kind, Transfer

D = Decimal
TRANSPORT_KINDS = {
    Kind.LATENCY: FaultKind.LATENCY,
    Kind.HANG: FaultKind.HANG,
    Kind.HTTP_ERROR: FaultKind.HTTP_ERROR,
    Kind.MAINTENANCE: FaultKind.MAINTENANCE,
    Kind.RATE_LIMIT: FaultKind.RATE_LIMIT,
    Kind.IP_BAN: FaultKind.IP_BAN,
    Kind.LOST_RESPONSE: FaultKind.LOSE_RESPONSE,
    Kind.CLOCK_SKEW: FaultKind.CLOCK_SKEW,
    Kind.NETWORK_CUT: FaultKind.NETWORK_CUT,
}
ARMED_SECONDS = 20.0  # a fault on a number of requests lapses after this long if nothing it targets comes


@dataclass(frozen=True, slots=True)
class Profile:
    """A stretch of bundled market data with a crash in it, and the account the bot hedges there."""

    sample: str
    start: datetime
    holdings: dict[str, Decimal]  # hedged directly on their own perpetuals
    usdt: Decimal
    foreign_perp: str | None  # a perpetual the bot does not hedge, for someone else's trades

    def bounds(self, asset: str) -> tuple[Decimal, Decimal]:
        """Holdings move between half and one and a half times the start."""
        return self.holdings[asset] / 2, self.holdings[asset] * 3 / 2


PROFILES = {
    # The 10 Oct 2025 cascade (about 21:00 UTC: BTC -17 %, SOL's perp 17 % below spot): 66 hours of data from here.
    "2025-10-liquidation-cascade": Profile(
        "2025-10-liquidation-cascade",
        datetime(2025, 10, 10, 6, tzinfo=UTC),
        {"SOL": D(100), "ETH": D(5)},
        D(150000),
        "BTCUSDT",
    ),
    # Celsius and 3AC, June 2022 (BTC -38 %, ETH -43 %): nine days of data from here, for the week-long soak.
    "2022-06-3ac-crash": Profile(
        "2022-06-3ac-crash",
        datetime(2022, 6, 11, tzinfo=UTC),
        {"ETH": D(10), "BTC": D("0.5")},
        D(150000),
        None,
    ),
}


@dataclass(slots=True)
class Freeze:
    """Public market data of ``base`` (every asset's for None) served as of ``since`` until ``until`` (exchange ms)."""

    base: str | None
    since: int
    until: int | None = None

    def covers(self, ms: int) -> bool:
        return self.since <= ms and (self.until is None or ms < self.until)


class World:
    """Applies faults and holdings changes to ``sim``; times are the wall clock (``time.time``) in seconds."""

    def __init__(self, sim: SimServer, profile: Profile) -> None:
        self.sim = sim
        self.profile = profile
        engine = sim.engine
        self.holdings: dict[str, list[tuple[int, Decimal]]] = {
            perp(asset): [(engine.now_ms(), self._held(asset))] for asset in profile.holdings
        }
        self.disturbed_until = 0.0  # wall seconds: the end of the latest disturbance known (faults, kills, changes)
        self.faulted_until = 0.0  # wall seconds: the end of the latest fault known
        self._undo: list[tuple[float, Fault]] = []  # windows to close: (wall end, fault)
        self._gaps: list[tuple[int, str, Decimal]] = []  # (exchange ms, base, factor) of every price jump
        self._freezes: list[Freeze] = []  # every stretch of stale public data

    # -- faults -------------------------------------------------------------------------------------------

    def apply(self, fault: Fault, now: float) -> None:
        """Start ``fault`` (not a kill: the supervisor does those)."""
        engine = self.sim.engine
        if fault.kind in TRANSPORT_KINDS:
            self.sim.fault(
                TRANSPORT_KINDS[fault.kind],
                path=fault.path,
                times=fault.times,
                seconds=fault.seconds or ARMED_SECONDS,
                delay=fault.delay,
                status=fault.status,
                skew_ms=fault.skew_ms,
            )
        elif fault.kind is Kind.STALE_DATA:
            engine.freeze(fault.asset)
            if not any(f.base == fault.asset and f.until is None for f in self._freezes):
                self._freezes.append(Freeze(fault.asset, engine.now_ms()))  # as the venue does: the first one holds
        elif fault.kind is Kind.PRICE_GAP:
            assert fault.asset is not None
            self._jump(fault.asset, 1 + fault.move)
        elif fault.kind is Kind.FOREIGN_TRADE:
            self._foreign_trade(fault)
        if fault.kind in (Kind.STALE_DATA, Kind.PRICE_GAP):
            self._undo.append((now + fault.seconds, fault))
        until = now + (fault.seconds or ARMED_SECONDS if fault.kind in TRANSPORT_KINDS else fault.seconds)
        self.faulted_until = max(self.faulted_until, until)
        self.disturb(until)

    def close_windows(self, now: float, everything: bool = False) -> None:
        """Undo stale data and price gaps whose window is over (all of them, and every transport fault, when
        ``everything``)."""
        engine = self.sim.engine
        for end, fault in list(self._undo):
            if end > now and not everything:
                continue
            self._undo.remove((end, fault))
            if fault.kind is Kind.STALE_DATA:
                engine.unfreeze(fault.asset)
                for freeze in self._freezes:  # every asset's, for None: as the venue does
                    if freeze.until is None and (fault.asset is None or freeze.base == fault.asset):
                        freeze.until = engine.now_ms()
            else:
                assert fault.asset is not None
                self._jump(fault.asset, 1 / (1 + fault.move))  # back where the replay is
        if everything:
            self.sim.faults.clear()
        if self.sim.faults.active() or self._undo:
            self.faulted_until = max(self.faulted_until, now)
            self.disturb(now)

    def _jump(self, base: str, factor: Decimal) -> None:
        self.sim.engine.gap(base, factor - 1)
        self._gaps.append((self.sim.engine.now_ms(), base, factor))

    def mark(self, symbol: str, ms: int) -> Decimal:
        """The mark of a perpetual the venue published at ``ms``: as of the freeze while its data was stale, with
        the price jumps in force at ``ms`` (the simulator applies today's jumps to every moment)."""
        venue = self.sim.engine.venue
        instrument = venue.linear(symbol)
        shown = min([ms, *(f.since for f in self._freezes if f.base in (None, instrument.base) and f.covers(ms))])
        now = then = D(1)
        for at, base, factor in self._gaps:
            if base == instrument.base:
                now *= factor
                then *= factor if at <= ms else 1
        return venue.mark(instrument, shown) / now * then

    def disturb(self, until: float) -> None:
        self.disturbed_until = max(self.disturbed_until, until)

    # -- the account ----------------------------------------------------------------------------------------

    def transfer(self, change: Transfer, now: float) -> None:
        """Deposit or withdraw a share of a hedged asset, kept within the profile's bounds."""
        held = self._held(change.asset)
        low, high = self.profile.bounds(change.asset)
        wanted = min(max(held * (1 + change.share), low), high)
        qty = self._spot_qty(change.asset, abs(wanted - held))
        if qty > 0:
            engine = self.sim.engine
            engine.deposit(change.asset, qty) if wanted > held else engine.withdraw(change.asset, qty)
            self._record(change.asset)
            self.disturb(now)

    def _foreign_trade(self, fault: Fault) -> None:
        """Someone else on the account: sells or buys some of a hedged asset on spot (the holding changes), or
        trades the perpetual the bot does not hedge."""
        engine = self.sim.engine
        if fault.asset is None:
            if self.profile.foreign_perp is not None:
                step = engine.instrument(Category.LINEAR, self.profile.foreign_perp).qty_step
                side = "buy" if fault.move > 0 else "sell"
                engine.trade(Category.LINEAR, self.profile.foreign_perp, side, step * abs(int(fault.move * 100)))
            return
        held = self._held(fault.asset)
        low, high = self.profile.bounds(fault.asset)
        wanted = min(max(held * (1 + fault.move), low), high)
        qty = self._spot_qty(fault.asset, abs(wanted - held))
        spot = engine.instrument(Category.SPOT, f"{fault.asset}USDT")
        if qty >= spot.min_qty and qty * engine.venue.last(spot, engine.now_ms()) >= spot.min_notional * 2:
            side = Side.BUY if wanted > held else Side.SELL
            engine.place_order(NewOrder(Category.SPOT, spot.name, side, OrderType.MARKET, qty, market_unit="baseCoin"))
            self._record(fault.asset)

    def _held(self, asset: str) -> Decimal:
        return next((b.wallet for b in self.sim.engine.balances() if b.coin == asset), D(0))

    def _spot_qty(self, asset: str, qty: Decimal) -> Decimal:
        step = self.sim.engine.instrument(Category.SPOT, f"{asset}USDT").qty_step
        return (qty / step).to_integral_value(ROUND_DOWN) * step

    def _record(self, asset: str) -> None:
        self.holdings[perp(asset)].append((self.sim.engine.now_ms(), self._held(asset)))


def perp(asset: str) -> str:
    """The venue symbol of an asset's USDT perpetual: "SOL" -> "SOLUSDT"."""
    return f"{asset}USDT"
