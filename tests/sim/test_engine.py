"""Specification of the engine over time: funding, liquidation, price gaps, stale data, the sample's end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hedgesim import SimConfig, SimExchange, SimReject
from hedgesim.clock import ManualClock, utc_from_ms
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.orders import ExecType, NewOrder, OrderStatus, OrderType, TimeInForce
from hedgesim.views import ticker
from tests.sim.factories import D, exchange, flat, flat_sample, sol_sample

HOUR = timedelta(hours=1)


def sell_market(ex: SimExchange, qty: str) -> None:
    ex.place_order(NewOrder(Category.LINEAR, "SOLUSDT", Side.SELL, OrderType.MARKET, D(qty)))


def test_funding_when_intervals_pass_then_settled_at_each_from_the_series_on_value_at_mark() -> None:
    ex = exchange(sol_sample(flat("100", 288), funding=["0", "0.0001", "-0.0003"]))
    sell_market(ex, "10")  # short 10 at 99.99
    ex.advance(17 * HOUR)
    payments = [(e.fee_rate, e.fee, e.price) for e in ex.executions if e.exec_type is ExecType.FUNDING]
    # 08:00: -10 x 100 x 0.0001 = -0.1 (the short receives); 16:00: -10 x 100 x -0.0003 = +0.3 (it pays)
    assert payments == [(D("0.0001"), D("-0.1"), D(100)), (D("-0.0003"), D("0.3"), D(100))]


def test_funding_when_no_position_then_nothing_settles() -> None:
    ex = exchange(flat_sample())
    ex.advance(17 * HOUR)
    assert not ex.executions


def test_ticker_when_perpetual_then_next_funding_time_and_its_rate() -> None:
    ex = exchange(sol_sample(flat("100", 288), funding=["0", "0.0001", "-0.0003"]))
    ex.advance(9 * HOUR)
    view = ticker(ex.venue, ex.market, ex.instrument(Category.LINEAR, "SOLUSDT"), ex.now_ms())
    assert (view.funding_rate, view.next_funding_ms - ex.now_ms()) == (D("-0.0003"), 7 * 3_600_000)  # type: ignore[operator]


def test_gap_when_price_jumps_through_a_resting_order_then_it_fills_whole_at_its_price() -> None:
    ex = exchange(flat_sample())
    order = ex.place_order(
        NewOrder(Category.LINEAR, "SOLUSDT", Side.BUY, OrderType.LIMIT, D(3), D(95), TimeInForce.POST_ONLY)
    )
    ex.gap("SOL", D("-0.10"))
    filled = ex.venue.orders.get(order.order_id)
    assert filled is not None
    assert (filled.status, filled.avg_price) == (OrderStatus.FILLED, D(95))


def test_gap_when_mark_crosses_an_isolated_liquidation_price_then_liquidated_and_margin_lost() -> None:
    ex = exchange(flat_sample(), margin_mode=MarginMode.ISOLATED)
    ex.set_leverage("SOLUSDT", D(2))
    sell_market(ex, "10")  # short 10 @ 99.99: margin 499.95, liquidation 99.99 + (499.95 - 4.9995) / 10 = 149.4855
    wallet_before = ex.venue.account.coins["USDT"]
    ex.gap("SOL", D("0.60"))  # mark 160
    assert "SOLUSDT" not in ex.venue.account.positions
    (takeover,) = ex.venue.liquidations
    assert takeover.price == D("149.985")  # bankruptcy: 99.99 + 499.95 / 10
    # the whole position margin is lost: 499.95 and the fee to close it, 10 x 149.985 x 0.055 % = 0.8249175
    assert (takeover.fee, ex.venue.account.coins["USDT"]) == (D("0.8249175"), wallet_before - D("500.7749175"))


def test_liquidation_when_replayed_mark_crosses_the_liquidation_price_then_position_taken_over() -> None:
    bars = [
        *flat("100", 12),
        *[(str(100 + 5 * i), str(105 + 5 * i), str(100 + 5 * i), str(105 + 5 * i)) for i in range(20)],
    ]
    ex = exchange(sol_sample(bars), margin_mode=MarginMode.ISOLATED)
    ex.set_leverage("SOLUSDT", D(2))
    sell_market(ex, "1")
    ex.advance(2 * HOUR)
    assert [e.symbol for e in ex.venue.liquidations] == ["SOLUSDT"]
    assert "SOLUSDT" not in ex.venue.account.positions


def test_sample_when_it_ends_then_prices_hold_and_the_state_says_so() -> None:
    ex = exchange(flat_sample(price="100", hours=1))
    ex.advance(2 * HOUR)
    state = ex.state()
    assert state["sample_ended"] is True
    assert state["prices"]["SOL/USDT:USDT"]["last"] == "100"


def test_freeze_when_market_data_is_stale_then_public_data_holds_while_trading_moves_on() -> None:
    ex = exchange(sol_sample([*flat("100", 12), *flat("110", 12)]))
    ex.freeze("SOL")
    ex.advance(2 * HOUR)
    instrument = ex.instrument(Category.LINEAR, "SOLUSDT")
    view = ticker(ex.venue, ex.market, instrument, ex.now_ms())
    assert (view.last, view.time_ms) == (D(100), ex.now_ms() - 2 * 3_600_000)
    assert ex.venue.last(instrument, ex.now_ms()) == D(110)
    ex.unfreeze()
    assert ticker(ex.venue, ex.market, instrument, ex.now_ms()).last == D(110)


def test_trade_when_someone_else_trades_on_the_account_then_the_position_changes() -> None:
    ex = exchange(flat_sample())
    ex.trade(Category.LINEAR, "SOLUSDT", "sell", D(2))
    assert ex.venue.account.size_of("SOLUSDT") == D(-2)


@pytest.mark.parametrize(("coin", "qty", "balance"), [("SOL", "5", "5"), ("USDT", "250", "10250")])
def test_deposit_when_coins_arrive_then_wallet_grows(coin: str, qty: str, balance: str) -> None:
    ex = exchange(flat_sample())
    ex.deposit(coin, D(qty))
    assert ex.venue.account.coins[coin] == D(balance)


def test_withdraw_when_more_than_free_then_refused() -> None:
    ex = exchange(flat_sample(), sol="1")
    with pytest.raises(SimReject):
        ex.withdraw("SOL", D(2))
    ex.withdraw("SOL", D(1))
    assert ex.venue.account.coins["SOL"] == 0


def test_ids_when_same_seed_then_same_ids_every_run() -> None:
    first, second = exchange(flat_sample()), exchange(flat_sample())
    sell_market(first, "1")
    sell_market(second, "1")
    assert [e.exec_id for e in first.executions] == [e.exec_id for e in second.executions]


async def test_realtime_when_running_at_speed_then_market_time_advances_speed_times_faster() -> None:
    ex = SimExchange.realtime(SimConfig(speed=600.0))
    start = ex.market_time()
    await asyncio.sleep(0.2)
    elapsed = (ex.market_time() - start).total_seconds()
    assert 100 <= elapsed <= 600  # 0.2 s x 600 = 120 s of market time, give or take scheduling


def test_funding_when_run_live_from_an_odd_moment_then_settled_at_00_08_16_utc_on_the_exchange_clock() -> None:
    # a real-time exchange started at 05:37 UTC replays the sample from its 00:00: Bybit settles on its own clock,
    # at 08:00 and 16:00 UTC, not 8 hours of replay after the replay's own 00:00 (13:37)
    sample = sol_sample(flat("100", 288), funding=["0.0001", "-0.0003", "0.0002"])
    started = datetime(2026, 3, 2, 5, 37, tzinfo=UTC)
    ex = SimExchange(SimConfig(sample=sample.name, balances={"USDT": D(10_000)}), ManualClock(started), sample)
    sell_market(ex, "10")  # short 10 at 99.99
    view = ticker(ex.venue, ex.market, ex.instrument(Category.LINEAR, "SOLUSDT"), ex.now_ms())
    assert utc_from_ms(view.next_funding_ms or 0) == datetime(2026, 3, 2, 8, tzinfo=UTC)
    ex.advance(11 * HOUR)  # to 16:37
    settled = [(utc_from_ms(e.time_ms), e.fee_rate) for e in ex.executions if e.exec_type is ExecType.FUNDING]
    # 08:00 is 02:23 of the replay (the 00:00 rate), 16:00 is 10:23 (the 08:00 rate)
    assert settled == [
        (datetime(2026, 3, 2, 8, tzinfo=UTC), D("0.0001")),
        (datetime(2026, 3, 2, 16, tzinfo=UTC), D("-0.0003")),
    ]


def test_funding_when_replayed_at_speed_then_settled_at_the_replayed_markets_own_marks() -> None:
    # at 120x, 8 hours of the replayed market pass in 4 minutes: funding settles at that pace, at the recorded
    # history's moments and rates, not once per 8 hours of the wall clock
    sample = sol_sample(flat("100", 288), funding=["0.0001", "-0.0003", "0.0002"])
    started = datetime(2026, 3, 2, 5, 37, tzinfo=UTC)
    config = SimConfig(sample=sample.name, balances={"USDT": D(10_000)}, speed=120)
    ex = SimExchange(config, ManualClock(started), sample)
    sell_market(ex, "10")
    ex.advance(timedelta(minutes=9))  # 18 hours of market time from the replay's 00:00
    settled = [(utc_from_ms(e.time_ms), e.fee_rate) for e in ex.executions if e.exec_type is ExecType.FUNDING]
    # the replay's 08:00 and 16:00 come 240 s and 480 s after the start, each settling its own recorded rate
    assert settled == [
        (started + timedelta(seconds=240), D("-0.0003")),
        (started + timedelta(seconds=480), D("0.0002")),
    ]


def test_funding_when_isolated_then_paid_out_of_the_position_margin_moving_its_liquidation_price() -> None:
    ex = exchange(sol_sample(flat("100", 288), funding=["0", "-0.001"]), margin_mode=MarginMode.ISOLATED)
    ex.set_leverage("SOLUSDT", D(2))
    sell_market(ex, "10")  # short 10 at 99.99: margin 499.95
    before = ex.position("SOLUSDT").liquidation
    ex.advance(9 * HOUR)  # 08:00: -0.1 %, the short pays 10 x 100 x 0.001 = 1
    assert ex.venue.account.positions["SOLUSDT"].margin == D("498.95")
    after = ex.position("SOLUSDT").liquidation
    assert before is not None
    assert after == before - D("0.1")  # 1 USDT less margin over 10 SOL
