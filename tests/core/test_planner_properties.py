"""Properties of the planner for any targets, positions, resting orders, books and market specs (hypothesis).

A plan never: exceeds the hedge-ratio cap or the max order notional, places a non-reduce-only order that
shrinks a position, flips a position, crosses the book with a post-only price, orders below the market's
minimum quantity or notional, or over-hedges when rounding down (under-hedges when rounding up), counting the
resting orders it keeps. A target that moves by at most band x hysteresis never cancels a resting order that
could pass none of those caps.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.core.plan import InstrumentDecision
from bot.core.planner.instrument import InstrumentInput, plan_instrument
from bot.core.planner.sizing import cap_contracts, rounded_target
from bot.core.planner.state import InstrumentState
from bot.domain import (
    ZERO,
    BookLevel,
    HedgeTarget,
    Market,
    MarketType,
    Order,
    OrderBook,
    OrderStatus,
    PerpTicker,
    Rounding,
    Side,
    round_to_step,
)
from bot.settings import PlannerParams
from tests.core.factories import default_params
from tests.factories import NOW

D = Decimal
SYMBOL = "XYZ/USDT:USDT"


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(D(low), D(high), places=places, allow_nan=False, allow_infinity=False)


@st.composite
def markets(draw: st.DrawFn) -> Market:
    lot = draw(st.sampled_from([D("0.001"), D("0.01"), D("0.1"), D(1), D(10)]))
    return Market(
        symbol=SYMBOL,
        base="XYZ",
        quote="USDT",
        type=MarketType.PERP,
        tick_size=draw(st.sampled_from([D("0.0001"), D("0.01"), D("0.1"), D(1)])),
        lot_step=lot,
        min_qty=lot * draw(st.integers(1, 20)),
        min_notional=draw(st.sampled_from([ZERO, D(5), D(100)])),
        contract_size=draw(st.sampled_from([D("0.01"), D("0.1"), D(1), D(10)])),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[InstrumentInput, PlannerParams, InstrumentState]:
    market = draw(markets())
    tick, lot = market.tick_size, market.lot_step
    bid = tick * draw(st.integers(10, 2_000_000))
    ask = bid + tick * draw(st.integers(1, 20))
    depth = st.lists(decimals("0", "5000", 0).map(lambda n: n * lot), min_size=1, max_size=5)
    book = OrderBook(
        SYMBOL,
        bids=tuple(BookLevel(bid - i * tick, size) for i, size in enumerate(draw(depth))),
        asks=tuple(BookLevel(ask + i * tick, size) for i, size in enumerate(draw(depth))),
        timestamp=NOW,
    )
    mark = max(tick, bid * draw(decimals("0.9", "1.1", 3)))
    ticker = PerpTicker(SYMBOL, mark, mark, None, bid, ask, None, None, NOW)
    full = -lot * draw(st.integers(0, 200_000)) / draw(st.sampled_from([D(1), D(3), D(7)]))
    ratio = draw(decimals("0", "1.5", 2))
    near_target = decimals("0", "1.6", 2).map(lambda share: round_to_step(full * share, lot))
    position = draw(st.one_of(near_target, st.integers(-300_000, 20_000).map(lambda n: n * lot)))
    orders = tuple(
        Order(
            SYMBOL,
            side,
            amount,
            draw(st.one_of(st.sampled_from([bid, ask]), st.integers(1, 4_000_000).map(lambda n: n * tick))),
            OrderStatus.OPEN,
            f"hb{i}",
            str(i),
            filled=min(amount - lot, lot * draw(st.integers(0, 100))),
            post_only=True,
            timestamp=NOW - timedelta(seconds=draw(st.integers(0, 600))),
        )
        for i, (side, amount) in enumerate(
            draw(
                st.one_of(
                    st.just([]),  # half the scenarios have no resting order
                    st.lists(
                        st.tuples(st.sampled_from(Side), st.integers(1, 20_000).map(lambda n: n * lot)), max_size=2
                    ),
                )
            )
        )
    )
    params = replace(
        default_params(),
        band=draw(decimals("0", "0.2", 2)),
        hysteresis=draw(decimals("0", "1", 2)),
        min_notional=draw(st.sampled_from([ZERO, D(10), D(100)])),
        rounding=draw(st.sampled_from(Rounding)),
        passive_offset_ticks=draw(st.integers(0, 3)),
        reprice_threshold_bps=draw(st.sampled_from([D(0), D(5), D(50)])),
        order_ttl=timedelta(seconds=draw(st.integers(1, 300))),
        max_reprices_per_minute=draw(st.integers(1, 6)),
        max_order_notional=draw(st.sampled_from([D(10), D(500), D(2000), D(100_000)])),
        max_depth_share=draw(decimals("0.01", "1", 2)),
        max_hedge_ratio=draw(decimals("0.5", "1.5", 2)),
    )
    inp = InstrumentInput(
        SYMBOL,
        HedgeTarget(SYMBOL, full * ratio, ZERO, full_contracts=full),
        market,
        book,
        ticker,
        position,
        orders,
    )
    return inp, params, InstrumentState(rebalancing=draw(st.booleans()))


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_plan_when_any_inputs_then_every_order_is_valid_passive_and_within_limits(
    scenario: tuple[InstrumentInput, PlannerParams, InstrumentState],
) -> None:
    inp, params, state = scenario
    assert inp.market is not None
    assert inp.book is not None
    market, book = inp.market, inp.book
    decision, _ = plan_instrument(inp, params, state, NOW)
    best_bid, best_ask = book.bids[0].price, book.asks[0].price
    for intent in decision.intents:
        assert intent.post_only
        assert intent.amount > 0
        assert round_to_step(intent.amount, market.lot_step) == intent.amount  # on the lot
        assert intent.amount >= market.min_qty  # never below the minimum quantity...
        assert intent.reduce_only or intent.notional >= market.min_notional  # ...or notional, unless reduce-only
        assert intent.notional == market.notional(intent.amount, intent.price)
        assert intent.notional <= params.max_order_notional
        if intent.side is Side.SELL:
            assert intent.price >= best_ask > best_bid  # never crossing
        else:
            assert intent.price <= best_bid < best_ask
        shrinks = (intent.side is Side.BUY and inp.position < 0) or (intent.side is Side.SELL and inp.position > 0)
        assert intent.reduce_only == shrinks  # every order that shrinks a position is reduce-only, and only those


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_plan_when_everything_fills_then_never_flips_never_beyond_a_cap_nor_the_roundings_promise(
    scenario: tuple[InstrumentInput, PlannerParams, InstrumentState],
) -> None:
    inp, params, state = scenario
    decision, _ = plan_instrument(inp, params, state, NOW)
    assert_everything_filling_passes_no_cap(inp, params, decision)


def assert_everything_filling_passes_no_cap(
    inp: InstrumentInput, params: PlannerParams, plan: InstrumentDecision
) -> None:
    """The orders left resting (kept) and the new ones, all filled, flip nothing and pass no cap."""
    assert inp.market is not None
    cancelled = {c.client_order_id for c in plan.cancels}
    resting = [o for o in inp.orders if o.client_order_id not in cancelled]
    buys = sum((o.remaining for o in resting if o.side is Side.BUY), ZERO)
    sells = sum((o.remaining for o in resting if o.side is Side.SELL), ZERO)
    buys += sum((i.amount for i in plan.intents if i.side is Side.BUY), ZERO)
    sells += sum((i.amount for i in plan.intents if i.side is Side.SELL), ZERO)
    exact = max(min(inp.raw_target, ZERO), cap_contracts(inp.full_contracts, inp.market, params.max_hedge_ratio))
    if inp.position <= 0 and buys:
        assert inp.position + buys <= 0  # a short is never flipped into a long
        if params.rounding is Rounding.UP:
            assert inp.position + buys <= exact  # rounding up never under-hedges (the target within the cap)
    if inp.position > 0 and sells:
        assert inp.position - sells >= 0  # a stray long is only closed, never flipped into a short
    if inp.position <= 0 and sells:
        short = inp.position - sells
        assert short >= inp.full_contracts * params.max_hedge_ratio  # never beyond max_hedge_ratio x the full hedge
        if params.rounding is Rounding.DOWN:
            assert short >= inp.raw_target  # rounding down never over-hedges


@st.composite
def earlier_targets(draw: st.DrawFn) -> tuple[InstrumentInput, PlannerParams, Decimal]:
    """A short with resting orders (one side, at the touch, fresh) sized for an earlier target near today's:
    within band x hysteresis of it or a few lots beyond, on either side of every cap. Also the earlier target."""
    market = draw(markets())
    lot, tick = market.lot_step, market.tick_size
    params = replace(
        default_params(),
        band=draw(decimals("0", "0.2", 2)),
        hysteresis=draw(decimals("0", "1", 2)),
        min_notional=ZERO,
        rounding=draw(st.sampled_from(Rounding)),
        max_order_notional=D(10) ** 15,
        max_depth_share=D(1),
        max_hedge_ratio=draw(decimals("0.5", "1.5", 2)),
    )
    full = -lot * draw(st.integers(1, 200_000))
    raw = full * draw(decimals("0.01", "1.5", 2))
    target = rounded_target(raw, full, market, params.rounding, params.max_hedge_ratio)
    reach = int(params.band * params.hysteresis * abs(target) / lot) + 3
    earlier = target + lot * draw(st.integers(-reach, reach))
    position = earlier + lot * draw(st.integers(-50, 50))
    assume(position <= 0)
    side = Side.BUY if earlier > position else Side.SELL
    bid = tick * 10_000
    price = bid if side is Side.BUY else bid + tick  # at the touch, placed just now: nothing to re-price
    orders = tuple(
        Order(SYMBOL, side, amount, price, OrderStatus.OPEN, f"hb{i}", str(i), post_only=True, timestamp=NOW)
        for i, amount in enumerate(_split_in_two(abs(earlier - position), lot, draw(st.integers(0, 100))))
    )
    book = OrderBook(SYMBOL, (BookLevel(bid, D(10) ** 12),), (BookLevel(bid + tick, D(10) ** 12),), NOW)
    ticker = PerpTicker(SYMBOL, bid, bid, None, bid, bid + tick, None, None, NOW)
    target_value = HedgeTarget(SYMBOL, raw, ZERO, full_contracts=full)
    return InstrumentInput(SYMBOL, target_value, market, book, ticker, position, orders), params, earlier


def _split_in_two(total: Decimal, lot: Decimal, percent: int) -> list[Decimal]:
    first = round_to_step(total * percent / 100, lot)
    return [amount for amount in (first, total - first) if amount > 0]


@settings(max_examples=400, deadline=None)
@given(earlier_targets())
def test_plan_when_the_target_moved_within_band_x_hysteresis_short_of_every_cap_then_no_resting_order_cancelled(
    scenario: tuple[InstrumentInput, PlannerParams, Decimal],
) -> None:
    inp, params, earlier = scenario
    assert inp.market is not None
    target = rounded_target(inp.raw_target, inp.full_contracts, inp.market, params.rounding, params.max_hedge_ratio)
    assume(abs(earlier - target) <= params.band * params.hysteresis * abs(target))
    assume(cap_contracts(inp.full_contracts, inp.market, params.max_hedge_ratio) <= earlier <= 0)
    assume(params.rounding is not Rounding.DOWN or earlier >= inp.raw_target)  # "down": never over-hedge
    assume(params.rounding is not Rounding.UP or earlier <= min(inp.raw_target, ZERO))  # "up": never under-hedge
    decision, _ = plan_instrument(inp, params, InstrumentState(rebalancing=True), NOW)
    assert decision.cancels == ()  # every resting order is kept...
    if inp.orders:
        assert {i.side for i in decision.intents} <= {inp.orders[0].side}  # ...and no order works against them


@settings(max_examples=400, deadline=None)
@given(earlier_targets())
def test_plan_when_orders_rest_for_an_earlier_target_then_everything_filling_passes_no_cap(
    scenario: tuple[InstrumentInput, PlannerParams, Decimal],
) -> None:
    inp, params, _ = scenario
    decision, _ = plan_instrument(inp, params, InstrumentState(rebalancing=True), NOW)
    assert_everything_filling_passes_no_cap(inp, params, decision)
