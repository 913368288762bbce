"""Specification of the venue over a live market (LiveMarket): the simulator's own rules against observed data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from hedgesim import SimConfig
from hedgesim.account import Fees
from hedgesim.book import Level
from hedgesim.clock import ManualClock, to_ms
from hedgesim.enums import MarginMode, Side
from hedgesim.errors import MarketDataError
from hedgesim.exchange import Exchange
from hedgesim.instruments import Category, perp_instrument
from hedgesim.live import NEVER_MS, Book, LiveMarket, Ticker, Trade
from hedgesim.orders import ExecType, NewOrder, OrderStatus, OrderType, TimeInForce
from hedgesim.persist import dump, load
from tests.sim.factories import T0, D

SECOND = 1_000
HOUR_MS = 3_600_000
START = to_ms(T0)


def sol_book(bid: str = "99.99", ask: str = "100.01", at: int = START) -> Book:
    return Book(at, (Level(D(bid), D(50)), Level(D(bid) - D("0.01"), D(80))), (Level(D(ask), D(40)),))


def sol_ticker(at: int = START, mark: str = "100", rate: str = "0.0001", next_funding: int | None = None) -> Ticker:
    return Ticker(
        at, D(mark), D(mark), D(mark), D(rate), next_funding if next_funding is not None else START + 8 * HOUR_MS
    )


def trades(*rows: tuple[int, str, str]) -> list[Trade]:
    """(milliseconds after the start, price, quantity) per trade."""
    return [Trade(f"t{offset}-{price}", START + offset, D(price), D(qty)) for offset, price, qty in rows]


def live_sol(participation: str = "0.25") -> tuple[Exchange, LiveMarket, ManualClock]:
    """A paper venue on SOLUSDT over a live market observed at the start: book 99.99 / 100.01, mark 100."""
    clock = ManualClock(T0)
    market = LiveMarket()
    market.observe_book(Category.LINEAR, "SOL", sol_book())
    market.observe_ticker("SOL", sol_ticker())
    instrument = perp_instrument("SOL", D(100))
    config = SimConfig(
        fees=Fees(), margin_mode=MarginMode.ISOLATED, participation=D(participation), default_leverage=D(1)
    )
    return Exchange(config, clock, market, {instrument.key: instrument}, {"USDT": D(10_000)}), market, clock


def post_only(ex: Exchange, side: Side, qty: str, price: str, reduce_only: bool = False) -> str:
    order = ex.place_order(
        NewOrder(
            Category.LINEAR, "SOLUSDT", side, OrderType.LIMIT, D(qty), D(price), TimeInForce.POST_ONLY, reduce_only
        )
    )
    return order.order_id


def moved(ex: Exchange, clock: ManualClock, seconds: int) -> None:
    clock.advance(timedelta(seconds=seconds))
    ex.sync()


def test_post_only_when_it_would_cross_the_observed_touch_then_cancelled_as_the_venue_would() -> None:
    ex, _, _ = live_sol()
    order = ex.venue.orders.get(post_only(ex, Side.SELL, "1", "99.99"))
    assert order is not None
    assert (order.status, order.reject_reason) == (OrderStatus.CANCELLED, "EC_PostOnlyWillTakeLiquidity")


def test_resting_sell_when_trades_only_touch_its_price_then_nothing_fills() -> None:
    ex, market, clock = live_sol()
    order_id = post_only(ex, Side.SELL, "5", "100.01")
    market.observe_trades(Category.LINEAR, "SOL", trades((500, "100.01", "1000"), (900, "100.00", "1000")))
    moved(ex, clock, 2)
    assert ex.venue.orders.get(order_id).cum_qty == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("through", "filled", "status"),
    [
        ("8", D("2"), OrderStatus.PARTIALLY_FILLED),  # a quarter of the 8 traded above it
        ("40", D("5"), OrderStatus.FILLED),
    ],
)
def test_resting_sell_when_the_market_trades_through_it_then_the_participation_share_fills_at_its_price(
    through: str, filled: Decimal, status: OrderStatus
) -> None:
    ex, market, clock = live_sol()
    order_id = post_only(ex, Side.SELL, "5", "100.01")
    market.observe_trades(Category.LINEAR, "SOL", trades((1500, "100.02", through), (1600, "100.00", "500")))
    moved(ex, clock, 2)
    order = ex.venue.orders.get(order_id)
    assert order is not None
    assert (order.cum_qty, order.status) == (filled, status)
    fills = [e for e in ex.executions if e.exec_type is ExecType.TRADE]
    assert {(e.price, e.is_maker, e.fee_rate) for e in fills} == {(D("100.01"), True, D("0.0002"))}
    assert ex.venue.account.size_of("SOLUSDT") == -filled


def test_trades_when_observed_twice_then_counted_once() -> None:
    _, market, _ = live_sol()
    rows = trades((100, "100.05", "3"))
    assert [market.observe_trades(Category.LINEAR, "SOL", rows) for _ in range(2)] == [1, 0]
    assert market.volume_through(Category.LINEAR, "SOL", START, START + SECOND, D(100), False) == D(3)


def test_funding_when_the_announced_time_passes_then_settled_at_the_rate_shown_before_it() -> None:
    ex, market, clock = live_sol()
    post_only(ex, Side.SELL, "10", "100.01")
    market.observe_trades(Category.LINEAR, "SOL", trades((1000, "100.5", "1000")))
    moved(ex, clock, 2)  # short 10
    # announced: 00:00:10 at +0.01 %; observed after it: the next one, at another rate
    market.observe_ticker("SOL", sol_ticker(START + 3 * SECOND, rate="0.0001", next_funding=START + 10 * SECOND))
    market.observe_ticker("SOL", sol_ticker(START + 12 * SECOND, rate="-0.002", next_funding=START + 8 * HOUR_MS))
    moved(ex, clock, 20)
    funding = [(e.time_ms - START, e.fee_rate, e.fee) for e in ex.executions if e.exec_type is ExecType.FUNDING]
    assert funding == [(10 * SECOND, D("0.0001"), D("-0.1000"))]  # the short received 10 x 100 x 0.01 %


def test_next_funding_when_observations_stopped_then_every_interval_after_the_last_announcement() -> None:
    _, market, _ = live_sol()
    assert market.next_funding("SOL", START + 8 * HOUR_MS) == (START + 16 * HOUR_MS, D("0.0001"))
    assert LiveMarket().next_funding("SOL", START) == (NEVER_MS, 0)


def test_live_market_when_nothing_observed_then_no_price_is_invented() -> None:
    with pytest.raises(MarketDataError):
        LiveMarket().last(Category.LINEAR, "SOL", START)


def test_paper_venue_when_dumped_and_loaded_then_the_same_account_orders_and_fills() -> None:
    ex, market, clock = live_sol()
    post_only(ex, Side.SELL, "5", "100.01")
    market.observe_trades(Category.LINEAR, "SOL", trades((1500, "100.02", "8")))
    moved(ex, clock, 2)
    saved = dump(ex)
    again = Exchange(ex.config, clock, market, ex.venue.instruments, {})
    load(again, saved)
    assert dump(again) == saved
    assert again.venue.account.positions == ex.venue.account.positions
    assert [o.order_id for o in again.venue.orders.open_orders()] == [o.order_id for o in ex.venue.orders.open_orders()]
    assert again.position("SOLUSDT") == ex.position("SOLUSDT")
