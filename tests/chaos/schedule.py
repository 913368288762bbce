"""The seeded chaos schedule (pure): which fault hits when, for how long, and when the holdings change.

The run is a series of rounds, each a storm (faults, kills, holdings changes) and then a calm long enough for the
bot to get back within its band: that is when the harness expects it there. Faults are counted per simulated hour
(``RATES``), so ``--hours`` sets how many there are and ``--speed`` only how densely they fall in wall time; their
durations are wall seconds, because what the bot does about them (timeouts, retries, grace periods) runs on the
wall clock. Kills are spread evenly (jittered), so every run has its share. The same seed gives the same schedule.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Kind(StrEnum):
    LATENCY = "latency"  # slow answers from one group of endpoints (some slower than the bot's timeout)
    HANG = "hang"  # requests held unprocessed, then a 504: the bot times out
    HTTP_ERROR = "http_error"  # 500 / 502 / 504, nothing processed
    MAINTENANCE = "maintenance"  # every endpoint answers 503 for a window
    RATE_LIMIT = "rate_limit"  # retCode 10006 for a window
    IP_BAN = "ip_ban"  # HTTP 403 for a window
    LOST_RESPONSE = "lost_response"  # an order create (or cancel) done, its answer never sent
    CLOCK_SKEW = "clock_skew"  # the venue's clock off by more than the receive window
    NETWORK_CUT = "network_cut"  # every connection dropped for a window
    STALE_DATA = "stale_data"  # public market data frozen for a window
    PRICE_GAP = "price_gap"  # prices jump, and jump back later
    FOREIGN_TRADE = "foreign_trade"  # someone else trades on the account: spot of a held asset, or an unhedged perp
    KILL = "kill"  # SIGKILL of the bot (at a random moment, or right after it journaled an order), then a restart


TRANSPORT = frozenset(
    {
        Kind.LATENCY,
        Kind.HANG,
        Kind.HTTP_ERROR,
        Kind.MAINTENANCE,
        Kind.RATE_LIMIT,
        Kind.IP_BAN,
        Kind.LOST_RESPONSE,
        Kind.CLOCK_SKEW,
        Kind.NETWORK_CUT,
    }
)

# Faults per simulated hour, kills included. 24 simulated hours: about 250 faults.
RATES: dict[Kind, float] = {
    Kind.LATENCY: 2.0,
    Kind.HANG: 0.6,
    Kind.HTTP_ERROR: 1.5,
    Kind.MAINTENANCE: 0.5,
    Kind.RATE_LIMIT: 1.0,
    Kind.IP_BAN: 0.4,
    Kind.LOST_RESPONSE: 1.2,
    Kind.CLOCK_SKEW: 0.4,
    Kind.NETWORK_CUT: 0.5,
    Kind.STALE_DATA: 0.5,
    Kind.PRICE_GAP: 0.6,
    Kind.FOREIGN_TRADE: 1.0,
    Kind.KILL: 0.35,
}
TRANSFERS_PER_HOUR = 1.0  # deposits and withdrawals of the hedged assets: the bot has orders to place
ENDPOINTS = (  # groups of endpoints a fault may hit alone
    "/v5/*",
    "/v5/market/*",
    "/v5/order/*",
    "/v5/position/*",
    "/v5/account/*",
    "/v5/execution/*",
    "/v5/order/create",
    "/v5/order/cancel",
    "/v5/order/realtime",
    "/v5/market/tickers",
    "/v5/market/orderbook",
    "/v5/account/wallet-balance",
)
STORM_SECONDS = 60.0  # wall seconds of faults per round...
CALM_SECONDS = 75.0  # ...then this long without: longer than the recovery bound the harness holds the bot to
WARM_UP = 0.1  # the share of the first round before its storm: the bot starts and builds the hedge in calm


@dataclass(frozen=True, slots=True)
class Fault:
    """One scheduled fault. Times are wall seconds after the run's start; a fault with ``seconds`` 0 hits once (a
    number of requests, an instant jump, a trade, a kill)."""

    at: float
    kind: Kind
    seconds: float = 0.0
    path: str = "/v5/*"  # transport faults: the endpoints hit
    times: int | None = None  # transport faults: at most this many requests
    delay: float = 0.0  # latency, hang, lost response: seconds held
    status: int = 500  # http_error
    skew_ms: int = 0  # clock_skew
    asset: str | None = None  # stale data, gap, foreign trade (None: every asset / an unhedged perp)
    move: Decimal = Decimal(0)  # price gap: the jump (and the share of the holding a foreign trade moves)
    at_order: bool = False  # kill: right after the bot's next order row, rather than at ``at``

    @property
    def ends(self) -> float:
        return self.at + self.seconds


@dataclass(frozen=True, slots=True)
class Transfer:
    """A deposit (``share`` > 0) or withdrawal of a hedged asset, as a share of what is held."""

    at: float
    asset: str
    share: Decimal
    once_hedged: bool = False  # not before every hedge is in its band (what comes after is not held back)


@dataclass(frozen=True, slots=True)
class Schedule:
    faults: tuple[Fault, ...]
    transfers: tuple[Transfer, ...]
    wall_seconds: float  # the run's length; the calm after the last storm is part of it
    storms: tuple[tuple[float, float], ...]  # (start, end) wall seconds of each storm

    def in_storm(self, moment: float) -> bool:
        """Whether faults may start at ``moment`` (wall seconds after the start)."""
        return any(start <= moment < end for start, end in self.storms)


def build(
    seed: int, hours: float, speed: float, assets: tuple[str, ...], kinds: frozenset[Kind], intensity: float = 1.0
) -> Schedule:
    """The schedule of a run of ``hours`` simulated hours at ``speed`` historical seconds per second, with
    ``intensity`` times the faults and holdings changes of ``RATES`` (kills as they are)."""
    rng = random.Random(f"chaos/{seed}")
    wall = hours * 3600 / speed
    rounds = max(1, int(wall // (STORM_SECONDS + CALM_SECONDS)))  # rounds at least as long as one storm and calm
    length = wall / rounds
    storm = length * STORM_SECONDS / (STORM_SECONDS + CALM_SECONDS)
    storms = tuple((n * length + (length * WARM_UP if n == 0 else 0), n * length + storm) for n in range(rounds))
    faults: list[Fault] = []
    for kind in sorted(kinds):
        expected = RATES[kind] * hours * (1 if kind is Kind.KILL else intensity)
        count = max(1, round(expected)) if kind is Kind.KILL else _poisson(rng, expected)
        moments = _spread(rng, count, storms) if kind is Kind.KILL else [_moment(rng, storms) for _ in range(count)]
        faults += [_fault(rng, kind, moment, assets) for moment in moments]
    transfers = [
        Transfer(_moment(rng, storms), rng.choice(assets), _share(rng))
        for _ in range(max(1, _poisson(rng, TRANSFERS_PER_HOUR * hours * intensity)))
    ]
    return Schedule(
        tuple(sorted(faults, key=lambda f: f.at)), tuple(sorted(transfers, key=lambda t: t.at)), wall, storms
    )


def _fault(rng: random.Random, kind: Kind, at: float, assets: tuple[str, ...]) -> Fault:
    """One fault of ``kind``, its shape drawn from ``rng``: windows last at most 40 s, well within a calm."""
    if kind is Kind.LATENCY:
        return Fault(at, kind, rng.uniform(2, 8), rng.choice(ENDPOINTS), delay=rng.choice([0.3, 0.8, 1.5, 2.5, 4.0]))
    if kind is Kind.HANG:
        return Fault(at, kind, 0.0, rng.choice(ENDPOINTS[1:]), times=rng.randint(1, 2), delay=6.0)
    if kind is Kind.HTTP_ERROR:
        return Fault(at, kind, rng.uniform(0.5, 3), rng.choice(ENDPOINTS), status=rng.choice([500, 502, 504]))
    if kind is Kind.MAINTENANCE:
        return Fault(at, kind, rng.uniform(5, 25))
    if kind is Kind.RATE_LIMIT:
        return Fault(at, kind, rng.uniform(1, 9), rng.choice(ENDPOINTS))
    if kind is Kind.IP_BAN:
        return Fault(at, kind, rng.uniform(3, 12))
    if kind is Kind.LOST_RESPONSE:
        path = "/v5/order/create" if rng.random() < 0.7 else "/v5/order/cancel"
        return Fault(at, kind, 0.0, path, times=1, delay=5.0)
    if kind is Kind.CLOCK_SKEW:
        return Fault(at, kind, rng.uniform(2, 8), skew_ms=rng.choice([-1, 1]) * rng.randint(6_000, 30_000))
    if kind is Kind.NETWORK_CUT:
        return Fault(at, kind, rng.uniform(2, 15))
    if kind is Kind.STALE_DATA:
        return Fault(at, kind, rng.uniform(5, 30), asset=rng.choice([*assets, None]))
    if kind is Kind.PRICE_GAP:
        move = Decimal(rng.choice([-1, 1]) * rng.randint(10, 50)) / 1000  # 1 % to 5 %
        return Fault(at, kind, rng.uniform(20, 40), asset=rng.choice(assets), move=move)
    if kind is Kind.FOREIGN_TRADE:
        return Fault(at, kind, asset=rng.choice([*assets, None]), move=_share(rng))
    return Fault(at, kind, at_order=rng.random() < 0.5, delay=rng.uniform(0.2, 3.0))  # delay: before the restart


def _share(rng: random.Random) -> Decimal:
    """A change of 3 % to 25 % of a holding, up or down."""
    return Decimal(rng.choice([-1, 1]) * rng.randint(3, 25)) / 100


def _moment(rng: random.Random, storms: tuple[tuple[float, float], ...]) -> float:
    start, end = rng.choice(storms)
    return rng.uniform(start, end)


def _spread(rng: random.Random, count: int, storms: tuple[tuple[float, float], ...]) -> list[float]:
    """``count`` moments spread evenly over the storms, each jittered within its share."""
    total = sum(end - start for start, end in storms)
    moments = []
    for n in range(count):
        offset = (n + rng.uniform(0.2, 0.8)) * total / count
        for start, end in storms:
            if offset < end - start:
                moments.append(start + offset)
                break
            offset -= end - start
    return moments


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count: Knuth's method for small means, the normal approximation for large ones."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
