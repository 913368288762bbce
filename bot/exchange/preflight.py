"""Start-up preflight: refuse to start, with a clear message, unless the venue account is set up as the bot needs.

Fail closed: every check that cannot be completed raises ``PreflightError`` naming the venue, the instrument and
what to do. Checks, in order, reads first (``read_account``: nothing is written before they pass): the credentials
work (a private read); the clock agrees with the venue's; every hedge instrument is a listed, trading linear
perpetual settled in the quote currency (a problem names the configuration key that asked for the instrument and
the listed perpetuals closest to it) and every exchange holding has a spot market; then per instrument: one-way position mode, the configured margin mode, the configured leverage set
and read back ("not modified" answers count as success). ``check_margin`` tells whether the margin wallet covers
what a plan still needs.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

import structlog

from bot import limits
from bot.clock import Clock
from bot.domain import ZERO, Balance, MarginMode, Market, MarketType
from bot.errors import (
    AuthenticationFailed,
    ClockSkew,
    DataError,
    ExchangeError,
    ExchangeUnavailable,
    PermissionDenied,
    PreflightError,
    RateLimited,
)
from bot.exchange.port import ExchangePort

log = structlog.get_logger(__name__)

T = TypeVar("T")

KEY_ADVICE = (
    "Check the key, secret (and passphrase): that they are for this venue and this mode (testnet, demo and live "
    "keys differ) and have not expired"
)
PERMISSION_ADVICE = (
    "In the venue's API key settings, let the key read the account and trade derivatives (contracts); a read-only "
    "key is enough for --dry-run only"
)
CLOCK_ADVICE = "Synchronise this machine's clock (NTP, e.g. `timedatectl set-ntp true`), then start again"


@dataclass(frozen=True, slots=True)
class PreflightPlan:
    """What the configuration asks of one venue."""

    hedge_symbols: tuple[str, ...]
    keys: Mapping[str, str] = field(default_factory=dict)  # symbol -> the configuration key(s) naming it
    spot_assets: tuple[str, ...] = ()  # holdings to value at this venue's spot price
    static_assets: tuple[str, ...] = ()  # holdings kept elsewhere: a missing spot market is not fatal for them
    leverage: Decimal = Decimal(1)
    margin_mode: MarginMode = MarginMode.ISOLATED
    quote: str = "USDT"
    # Bybit's default receive window. None skips the check: the simulator's clock replays historical time (it
    # checks signatures against the wall clock), so only real venues' clocks can be compared with ours.
    max_clock_skew: timedelta | None = timedelta(seconds=5)
    unreachable: str = "check the network, and the venue's status page for maintenance"  # what to do if unreachable


@dataclass(frozen=True, slots=True)
class PreflightReport:
    venue: str
    markets: Mapping[str, Market]
    leverage: Mapping[str, Decimal]  # as read back from the venue
    margin_balances: Mapping[str, Balance]
    clock_skew: timedelta  # the venue's clock minus ours


@dataclass(frozen=True, slots=True)
class AccountReads:
    """What the preflight's read-only first contact found: nothing at the venue has been written yet."""

    margin_balances: Mapping[str, Balance]
    markets: Mapping[str, Market]
    clock_skew: timedelta  # the venue's clock minus ours


async def read_account(port: ExchangePort, plan: PreflightPlan, clock: Clock) -> AccountReads:
    """The preflight's reads, the first contact with the venue: credentials (a private read), the clock, the
    markets. Sends no write, so a check that may refuse the key (``bot.execution.keys``) can run between this and
    ``run_preflight``'s settings."""
    venue = port.venue
    balances = await _step(f"{venue}: cannot read the account", port.fetch_margin_balances(), plan)

    server_time = await _step(f"{venue}: cannot read the venue's clock", port.server_time(), plan)
    skew = server_time - clock.now()
    if plan.max_clock_skew is not None and abs(skew) > plan.max_clock_skew:
        raise PreflightError(
            f"{venue}: this machine's clock is {abs(skew).total_seconds():.1f}s "
            f"{'behind' if skew > timedelta(0) else 'ahead of'} the venue's; signed requests would be refused. "
            + CLOCK_ADVICE
        )

    markets = await _step(f"{venue}: cannot load markets", port.load_markets(), plan)
    check_markets(venue, markets, plan)
    return AccountReads(balances, markets, skew)


async def run_preflight(
    port: ExchangePort, plan: PreflightPlan, clock: Clock, reads: AccountReads | None = None
) -> PreflightReport:
    """The whole preflight: ``read_account`` (unless its ``reads`` are given), then per instrument one-way mode, margin
    mode and leverage set and read back."""
    venue = port.venue
    if not limits.MIN_LEVERAGE <= plan.leverage <= limits.MAX_LEVERAGE:
        raise PreflightError(f"{venue}: leverage {plan.leverage} is outside the hard limits 1..{limits.MAX_LEVERAGE}")
    reads = reads if reads is not None else await read_account(port, plan, clock)
    leverage: dict[str, Decimal] = {}
    for symbol in plan.hedge_symbols:
        where = f"{venue} {symbol}"
        await _step(
            f"{where}: cannot switch to one-way position mode",
            port.ensure_one_way_mode(symbol),
            plan,
            f"hedgebot needs one-way (not hedge) position mode: at the venue, close the positions and cancel the "
            f"orders on {symbol} that keep it in hedge mode, or switch the account to one-way mode, then start again",
        )
        await _step(
            f"{where}: cannot set {plan.margin_mode.value} margin",
            port.set_margin_mode(symbol, plan.margin_mode),
            plan,
            f"close the positions and cancel the orders on {symbol} at the venue (a margin mode cannot change under "
            "them), or set execution.margin_mode to the mode the account uses",
        )
        leverage[symbol] = await set_leverage_read_back(port, symbol, plan.leverage, plan)
    log.info(
        "preflight.passed",
        venue=venue,
        instruments=list(plan.hedge_symbols),
        leverage=plan.leverage,
        margin_mode=plan.margin_mode,
        clock_skew_seconds=reads.clock_skew.total_seconds(),
    )
    return PreflightReport(
        venue=venue,
        markets=reads.markets,
        leverage=leverage,
        margin_balances=reads.margin_balances,
        clock_skew=reads.clock_skew,
    )


def check_markets(venue: str, markets: Mapping[str, Market], plan: PreflightPlan) -> None:
    """``PreflightError`` listing every way the venue's markets fall short of the plan."""
    problems = market_problems(markets, plan)
    if problems:
        raise PreflightError(f"{venue}: " + "; ".join(problems))


async def set_leverage_read_back(
    port: ExchangePort, symbol: str, leverage: Decimal, plan: PreflightPlan | None = None
) -> Decimal:
    """Set ``leverage`` on ``symbol`` and read it back (at start-up, and when it changed outside the bot); raises
    ``PreflightError`` unless the venue then reports exactly that leverage."""
    where = f"{port.venue} {symbol}"
    await _step(f"{where}: cannot set leverage {leverage}", port.set_leverage(symbol, leverage), plan)
    actual = await _step(f"{where}: cannot read leverage back", port.fetch_leverage(symbol), plan)
    if actual != leverage:
        raise PreflightError(f"{where}: leverage reads back as {actual} after setting {leverage}; refusing to trade")
    return actual


def market_problems(markets: Mapping[str, Market], plan: PreflightPlan) -> list[str]:
    """Every way the listed markets fall short of the plan, as messages; empty if none."""
    problems: list[str] = []
    for symbol in plan.hedge_symbols:
        market = markets.get(symbol)
        what = f"{plan.keys[symbol]}: {symbol}" if symbol in plan.keys else f"hedge instrument {symbol}"
        if market is None:
            problems.append(f"{what} is not listed{closest_listed(symbol, markets, plan.quote)}")
        elif market.type is not MarketType.PERP:
            problems.append(f"{what} is not a linear perpetual{closest_listed(symbol, markets, plan.quote)}")
        elif not market.active:
            problems.append(f"{what} is not trading")
        elif market.settle != plan.quote:
            problems.append(f"{what} settles in {market.settle}, not {plan.quote}")
    static = set(plan.static_assets)
    for asset in plan.spot_assets:
        spot = markets.get(f"{asset}/{plan.quote}")
        if asset not in static and (spot is None or spot.type is not MarketType.SPOT):
            problems.append(
                f"holding {asset} has no {asset}/{plan.quote} spot market to value it: exclude it "
                "(holdings.exclude) or list it as a static holding"
            )
    return problems


def closest_listed(symbol: str, markets: Mapping[str, Market], quote: str, count: int = 3) -> str:
    """The listed, trading perpetuals settled in ``quote`` whose names are closest to ``symbol``, as a clause."""
    perps = [s for s, m in markets.items() if m.type is MarketType.PERP and m.active and m.settle == quote]
    closest = difflib.get_close_matches(symbol, perps, n=count, cutoff=0)
    return f" (closest listed: {', '.join(closest)})" if closest else ""


def check_margin(
    balances: Mapping[str, Balance], required: Decimal, currency: str = "USDT", freed: Decimal = ZERO
) -> Decimal:
    """The margin left after ``required`` (in ``currency``); ``PreflightError`` if the wallet cannot cover it.
    Available is the wallet's free balance plus ``freed``: the margin the venue holds for our resting orders that
    the plan cancels (the free balance leaves it out)."""
    balance = balances.get(currency)
    available = (balance.free if balance else ZERO) + freed
    if available < required:
        ours = f" ({freed} {currency} of it freed by cancelling our resting orders)" if freed else ""
        raise PreflightError(
            f"{available} {currency} is available for margin{ours} but the plan needs {required} {currency} more "
            f"(beyond the positions and our resting orders kept): deposit {required - available} {currency}, lower "
            f"the hedge ratio or raise leverage (at most {limits.MAX_LEVERAGE})"
        )
    return available - required


async def _step(failure: str, action: Awaitable[T], plan: PreflightPlan | None = None, otherwise: str = "") -> T:
    """``action``'s result; its failure as a ``PreflightError`` saying what went wrong and what to do about it (the
    cause's advice, else ``otherwise``)."""
    try:
        return await action
    except (ExchangeError, DataError) as exc:
        cause, advice = _diagnosis(exc, plan or PreflightPlan(hedge_symbols=()))
        advice = advice or otherwise
        said = f"{cause}({exc})" if cause else str(exc)
        raise PreflightError(f"{failure}: {said}{'. ' + advice if advice else ''}") from exc


def _diagnosis(exc: Exception, plan: PreflightPlan) -> tuple[str, str]:
    """What a failure at start-up means, and what to do: ("", "") when its cause says nothing more than itself."""
    if isinstance(exc, AuthenticationFailed):
        return "the API key was refused ", KEY_ADVICE
    if isinstance(exc, PermissionDenied):
        return "the API key may not do this ", PERMISSION_ADVICE
    if isinstance(exc, ClockSkew):
        return "the venue refused the request's timestamp ", CLOCK_ADVICE
    if isinstance(exc, ExchangeUnavailable | RateLimited):
        return "the venue cannot be reached ", plan.unreachable
    return "", ""
