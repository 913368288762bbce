"""One replay from its options: the market data and window, the account, the configuration made safe to replay.

``prepare`` checks everything before anything runs (the data exists and covers the window, the step fits, there is
something to hedge) and raises ``UsageError`` (what was asked cannot be done), ``DataError`` or ``ConfigError``,
saying what to do instead; ``run`` replays it. The replay never touches the configuration's journal or kill-switch
file: it writes its own journal into the output folder (a fresh one each time), approves automatically, and trades
only against the in-process simulator.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_UP, Decimal
from pathlib import Path

from bot.config import AppConfig, parse_config
from bot.core.cycle import hedge_policy
from bot.domain import ZERO, MarketType
from bot.errors import DataError, PreflightError, UsageError
from bot.exchange.preflight import market_problems
from bot.execution.ids import run_id_for
from bot.execution.reading import preflight_plan
from bot.journal.writer import open_journal
from bot.replay.observe import ObservedPort
from bot.replay.port import SimPort
from bot.replay.record import Recording
from bot.replay.run import BotHedger, Progress, Recorder, replay
from bot.settings import Settings
from bot.settings.from_config import settings_for
from hedgesim import MarketDataError, SimConfig, SimExchange
from hedgesim.marketdata import Sample, available_samples, load_sample, load_window, with_synthetic_perpetuals

QUOTE = "USDT"
IN_PROCESS = "http://hedgesim.invalid"  # the venue URL a replay writes into its own configuration: never connected to
JOURNAL = "replay-journal.sqlite"  # in the output folder; replaced by every replay
HISTORY = timedelta(days=2)  # market data kept before the window (beta estimates, the first candles)
DATA_WINDOW = timedelta(days=7)  # --to when only --from is given with --data
MIN_USDT = Decimal(10_000)
DEFAULT_RATIO = Decimal("0.75")


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """What the user asked for (``hedgebot replay``'s options)."""

    sample: str | None = None  # a bundled sample's name (the default sample when neither it nor data is given)
    data: tuple[Path, ...] = ()  # folders of freqtrade-format files
    start: datetime | None = None
    end: datetime | None = None
    step: timedelta = timedelta(minutes=1)
    balances: Mapping[str, Decimal] | None = None  # the account; None: built from the holdings (see ``account``)
    out: Path | None = None  # where the journal goes; None: a temporary folder
    synthetic: bool = True  # make up a configured perpetual the data lacks from its asset's spot (``synthesizable``)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A replay ready to run: its data, window, account and the configuration it runs."""

    config: AppConfig
    venue: str
    settings: Settings  # what the run takes from ``config`` on ``venue``
    sample: Sample
    start: datetime
    end: datetime
    step: timedelta
    balances: Mapping[str, Decimal]
    journal: Path
    notes: tuple[str, ...] = field(default_factory=tuple)
    declined: tuple[str, ...] = ()  # perpetuals that could have been made up from spot, had --no-synthetic not refused

    @property
    def synthetic(self) -> tuple[str, ...]:
        """The perpetuals made up from spot (``synthesizable``)."""
        return tuple(self.sample.synthetic_perpetuals())


def load_market(options: ReplayOptions) -> tuple[Sample, datetime, datetime]:
    """The market data and the window (``--from`` .. ``--to``, defaulting to the data's span)."""
    if options.data:
        if options.start is None:
            raise UsageError([("--data", "needs --from: the start of the window to replay (e.g. --from 2025-10-10)")])
        end = options.end or options.start + DATA_WINDOW
        if absent := [str(folder) for folder in options.data if not folder.is_dir()]:
            raise UsageError([("--data", f"{', '.join(absent)}: no such folder")])
        try:
            sample = load_window(list(options.data), options.start, end, history=HISTORY)
        except MarketDataError as exc:
            raise DataError(str(exc)) from exc
        end = options.end or min(end, sample.end)
    else:
        name = options.sample or "2022-06-3ac-crash"
        try:
            sample = load_sample(name)
        except MarketDataError:
            raise UsageError(
                [
                    (
                        "--sample",
                        f"no bundled sample {name!r}; bundled samples: {', '.join(available_samples())}. "
                        "Replay a folder of freqtrade-format files with --data DIR instead",
                    )
                ]
            ) from None
        end = options.end or sample.end
    start = options.start or sample.start
    return sample, start, end


def check_window(sample: Sample, start: datetime, end: datetime, step: timedelta) -> None:
    span = f"{sample.start:%Y-%m-%d %H:%M} to {sample.end:%Y-%m-%d %H:%M} UTC"
    if end <= start:
        raise UsageError(
            [("--to", f"--to {end:%Y-%m-%d %H:%M} is not after --from {start:%Y-%m-%d %H:%M} UTC: swap them")]
        )
    if not sample.start <= start < sample.end or end > sample.end:
        raise UsageError(
            [
                (
                    "--from/--to",
                    f"the window {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC is outside the market data "
                    f"{sample.name} ({span}): choose --from and --to inside it",
                )
            ]
        )
    if end - start < step:
        raise UsageError(
            [
                (
                    "--step",
                    f"the window {start} to {end} is shorter than one step ({step}): widen it or use a finer --step",
                )
            ]
        )


def prices_at(sample: Sample, moment: datetime) -> dict[str, Decimal]:
    """Each spot asset's price at ``moment``: the open of the candle then (the first one before the data)."""
    prices = {}
    for series in sample.series:
        if series.market == "spot" and series.kind == "ohlcv" and series.candles:
            candle = next((c for c in series.candles if c.open_time >= moment), series.candles[-1])
            prices[series.base] = candle.open
    return prices


def account(
    config: AppConfig, sample: Sample, start: datetime, given: Mapping[str, Decimal] | None
) -> dict[str, Decimal]:
    """The simulated account: ``given`` (``--balance``) exactly; else the USDT the holdings' hedge needs as margin
    (the static holdings' value at the start, at least 10,000), with no coins on the exchange."""
    if given is not None:
        return dict(given)
    prices = prices_at(sample, start)
    value = sum((h.quantity * prices.get(h.asset, ZERO) for h in config.holdings.static), ZERO)
    usdt = max(MIN_USDT, (value / 1000).to_integral_value(ROUND_UP) * 1000)
    return {QUOTE: usdt}


def sample_portfolio(sample: Sample, start: datetime) -> tuple[AppConfig, dict[str, Decimal]]:
    """The configuration and account a replay uses when there is no configuration file: about 5,000 USDT of every
    spot asset of the data, each hedged at 75 % on its own perpetual, or on BTC's (else the first listed) with an
    estimated beta when it has none; USDT to margin at 1x a hedge of up to twice the holdings (betas above 1)."""
    prices = prices_at(sample, start)
    perps = sorted(s.base for s in sample.series if s.market == "perp" and s.kind == "ohlcv" and s.candles)
    if not perps:
        raise DataError(f"the market data {sample.name} has no perpetual to hedge with")
    proxy = "BTC" if "BTC" in perps else perps[0]
    holdings = {asset: _round_quantity(Decimal(5000) / price) for asset, price in sorted(prices.items()) if price > 0}
    value = sum((qty * prices[asset] for asset, qty in holdings.items()), ZERO)
    data = {
        "venues": {"replay": {"exchange": "bybit", "mode": "sim", "url": IN_PROCESS}},
        "holdings": {"venues": ["replay"], "exclude": [QUOTE]},
        "policy": {
            "name": "fixed_ratio",
            "ratio": str(DEFAULT_RATIO),
            "proxy": {"default_instrument": f"{proxy}/{QUOTE}:{QUOTE}", "default_beta": "estimate"},
        },
        "execution": {"leverage": 1, "margin_mode": "isolated"},
        "risk": {
            "max_total_hedge_notional": str(value * 2),
            "max_daily_turnover": str(value * 10),
            "max_daily_funding_cost": str(value / 100),
        },
        "approval": {"mode": "auto"},
    }
    usdt = max(MIN_USDT, (2 * value / 1000).to_integral_value(ROUND_UP) * 1000)
    return parse_config(data, env={}), {QUOTE: usdt, **holdings}


def prepare(config: AppConfig | None, venue: str | None, options: ReplayOptions) -> Prepared:
    """Everything a replay needs, checked; ``config`` None: the sample portfolio (``sample_portfolio``)."""
    sample, start, end = load_market(options)
    check_window(sample, start, end, options.step)
    notes: list[str] = []
    if config is None:
        config, balances = sample_portfolio(sample, start)
        balances = dict(options.balances) if options.balances is not None else balances
        venue = "replay"
        notes.append("no configuration file: the sample portfolio (every spot asset of the data, hedged at 75 %)")
    else:
        balances = account(config, sample, start, options.balances)
        venue = venue or next(iter(config.venues))
    held = held_assets(config, venue, balances)
    if not held:
        raise DataError(
            f"nothing to hedge: give the account coins with --balance ASSET=QTY (they count when [holdings] venues "
            f"lists {venue!r}), or list [[holdings.static]] in the configuration"
        )
    check_priced(held, sample, start)
    out = options.out or Path(tempfile.mkdtemp(prefix="hedgebot-replay-"))
    journal = out / JOURNAL
    safe = config.model_copy(
        update={
            "journal": config.journal.model_copy(update={"path": journal}),
            "risk": config.risk.model_copy(update={"kill_switch_file": out / "replay.halt"}),
        }
    )
    settings = settings_for(safe, venue)
    makeable = synthesizable(sample, hedge_policy(settings.core).instruments())
    if options.synthetic:
        sample = with_synthetic_perpetuals(sample, makeable)
        notes.extend(synthetic_note(sample, symbol) for symbol in makeable)
    declined = () if options.synthetic else tuple(makeable)
    return Prepared(safe, venue, settings, sample, start, end, options.step, balances, journal, tuple(notes), declined)


def synthesizable(sample: Sample, instruments: Iterable[str]) -> list[str]:
    """The perpetuals the configuration names (``instruments``: its hedges' instruments and proxies, and the default
    proxy) that the market data lacks but could make up from their asset's spot candles, sorted.

    Only named ones: a holding without a configured hedge is routed as in a live run (its own perpetual when listed,
    else the proxy), so the replay never changes the hedge the configuration asks for."""
    recorded = set(sample.perpetuals())
    return sorted(s for s in instruments if s not in recorded and sample.spot_of(s) is not None)


def synthetic_note(sample: Sample, symbol: str) -> str:
    spot = sample.spot_of(symbol)
    origin = spot.symbol if spot is not None else "its spot"
    return (
        f"{symbol} is synthetic: the market data {sample.name} has no such perpetual, so it trades at {origin} spot "
        "prices (no basis) and pays no funding, with the venue's specs and a synthetic book as every instrument; "
        "--no-synthetic refuses instead"
    )


def held_assets(config: AppConfig, venue: str, balances: Mapping[str, Decimal]) -> set[str]:
    """The assets the portfolio holds (as ``holdings`` reads them, from the account about to be funded): the static
    holdings, and the account's coins when the venue's wallet counts, less the quote and excluded assets."""
    held = {h.asset for h in config.holdings.static}
    if venue in config.holdings.venues:
        held |= {asset for asset, quantity in balances.items() if quantity > 0}
    return held - set(config.holdings.exclude) - {QUOTE}


def check_priced(held: set[str], sample: Sample, start: datetime) -> None:
    """Every holding has a spot price in the data: one without would be valued at nothing, a loss that never
    happened."""
    priced = prices_at(sample, start)
    if unpriced := sorted(held - priced.keys()):
        raise DataError(
            f"the market data {sample.name} has no spot price for {', '.join(unpriced)}, which the portfolio holds, "
            f"so neither the bot nor the report could value it. Spot prices in the data: "
            f"{', '.join(sorted(priced)) or 'none'}. Leave it out (--balance, [[holdings.static]]), exclude it "
            "([holdings] exclude), or replay data that has it"
        )


class Session:
    """One replay's simulator, ports and journal (a fresh journal each time): ``run`` it once, then ``close``."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        fresh_journal(prepared.journal)
        self.engine = engine_for(prepared)
        self.port = ObservedPort(SimPort(prepared.venue, self.engine), self.engine.clock)
        self.journal = open_journal(prepared.journal, self.engine.clock, durable=False)

    async def run(self, on_step: Callable[[Progress], None] | None = None) -> Recording:
        """The real loop against the in-process simulator from the window's start to its end."""
        prepared, clock = self.prepared, self.engine.clock
        markets = await self.port.load_markets()
        run_id = run_id_for(clock.now(), "replay")
        hedger = BotHedger(prepared.settings, self.port, self.journal, clock, run_id)
        recorder = Recorder(self.port, await holdings(prepared, self.port), markets)
        try:
            recording = await replay(
                self.engine,
                hedger,
                recorder,
                until=prepared.end,
                step=prepared.step,
                band=prepared.config.execution.band,
                on_step=on_step,
            )
        except PreflightError as exc:
            if not market_problems(markets, preflight_plan(prepared.settings)):
                raise  # not about the data's instruments (e.g. too little margin): as it is
            perps = ", ".join(sorted(symbol for symbol, market in markets.items() if market.type is MarketType.PERP))
            declined = (
                f"; without --no-synthetic the replay would make {', '.join(prepared.declined)} up from spot"
                if prepared.declined
                else ""
            )
            raise PreflightError(
                f"{exc}. The market data {prepared.sample.name} lists the perpetuals {perps}: replay a configuration "
                f"hedging with those, other data (--data), or no configuration (the sample portfolio){declined}"
            ) from exc
        return replace(recording, notes=(*prepared.notes, *recording.notes), synthetic_perpetuals=prepared.synthetic)

    def close(self) -> None:
        self.journal.close()


async def run(prepared: Prepared, on_step: Callable[[Progress], None] | None = None) -> Recording:
    """Replay ``prepared`` (see ``Session``)."""
    session = Session(prepared)
    try:
        return await session.run(on_step)
    finally:
        session.close()


def engine_for(prepared: Prepared) -> SimExchange:
    """A fresh simulator engine at the start of ``prepared``'s window, its account funded, on a manual clock (the
    replay's, and every hedger a benchmark compares with it)."""
    return SimExchange.deterministic(
        SimConfig(sample=prepared.sample.name, start=prepared.start, balances=prepared.balances, rate_limits=False),
        sample=prepared.sample,
    )


def fresh_journal(path: Path) -> None:
    """Remove a previous replay's journal at ``path``: each replay starts from an empty account and journal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def holdings(prepared: Prepared, port: ObservedPort) -> dict[str, Decimal]:
    """The portfolio to value: the exchange wallet's coins (if the venue's wallet counts) and the static holdings,
    less the quote and excluded assets."""
    config = prepared.config
    found: dict[str, Decimal] = {}
    if prepared.venue in config.holdings.venues:
        for asset, balance in (await port.fetch_spot_balances()).items():
            if asset != QUOTE and asset not in config.holdings.exclude and balance.total > 0:
                found[asset] = found.get(asset, ZERO) + balance.total
    for static in config.holdings.static:
        if static.asset not in config.holdings.exclude:
            found[static.asset] = found.get(static.asset, ZERO) + static.quantity
    return found


def _round_quantity(quantity: Decimal) -> Decimal:
    """Two significant digits, rounded down (as the simulator's default account)."""
    from decimal import ROUND_DOWN

    return quantity.quantize(Decimal(1).scaleb(quantity.adjusted() - 1), ROUND_DOWN)
