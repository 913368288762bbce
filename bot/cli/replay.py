"""`hedgebot replay`: the bot through a past market at full speed, and how well its hedge protected the portfolio."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.cli.output import err, money, out, print_json, show
from bot.cli.sim import parse_balance
from bot.cli.venue import pick_venue
from bot.config import AppConfig, load_config
from bot.durations import DURATION_FORMS, parse_duration
from bot.errors import DataError
from bot.replay.record import Recording
from bot.replay.report import Report, build_report
from bot.replay.run import Progress as ReplayProgress
from bot.replay.session import Prepared, ReplayOptions, prepare, run, synthetic_note
from hedgesim.marketdata import available_samples

HELP = "replay past market data through the bot at full speed: how well the hedge protected you, at what cost"
DESCRIPTION = f"""\
Runs the real hedging loop (the same policy, planner, risk gate, executor and journal as `hedgebot run`,
approving every order automatically) against the built-in exchange simulator replaying real market data,
one cycle every --step of market time, as fast as the machine allows. Nothing is sent anywhere: the venue
in the configuration is replaced by the simulator, and the configuration's journal and kill-switch file are
never touched (the replay writes its own journal, fresh each time, into --out, or without --out into a
temporary folder removed at the end).

Then it reports how the hedge did: the portfolio's value with and without it, max drawdown both ways, hedge
effectiveness (1 - variance of hedged / unhedged step returns), tracking error against the policy's target,
time out of band and how long the hedge took to re-enter it after each shock, fees, funding and slippage
(each fill against the mid when its order was decided) kept apart, the maker share of fills, orders,
cancels, post-only rejections and re-prices, the worst moment and the closest the hedge came to liquidation.

Market data: a bundled sample (--sample; {", ".join(available_samples())}; default 2022-06-3ac-crash), or
--data DIR, any folder (searched recursively, e.g. a collection laid out EVENT/SOURCE/FILES) of
freqtrade-format files: BTC_USDT-5m.json.gz (spot), BTC_USDT_USDT-5m-futures.json.gz (perpetual),
...-funding_rate..., ...-mark... --data needs --from; --to defaults to a week later. Times are UTC unless
they carry a zone (2022-06-13, 2022-06-13T18:00, 2022-06-13T18:00+02:00).

The portfolio: the configuration's holdings (its static holdings, and the exchange wallet if the venue's
wallet counts) with the account holding exactly --balance ASSET=QTY (repeat), or, without --balance, only
the USDT the hedge needs as margin. Without a configuration file (no --config, no $HEDGEBOT_CONFIG, no
./hedgebot.toml) it replays a sample portfolio: about 5,000 USDT of every spot asset of the data, each
hedged at 75 % on its own perpetual, or on BTC's with an estimated beta when it has none.

Every holding needs a spot price in the data: the replay stops before the first cycle naming any that has
none (the 2025 sample has BTC, ETH and SOL, spot and perpetual).

A perpetual the configuration names (a hedge's instrument or proxy, or policy.proxy.default_instrument) that
the data lacks is made up from its asset's spot candles when the data has them (e.g. SOL/USDT:USDT on the
2022 sample, which has BTC and ETH perpetuals only): it trades at the spot price (no basis), pays no
funding, and has the venue's instrument specs and a synthetic book like every instrument. The replay says
so before it runs, in the report (a note; the JSON's synthetic_perpetuals) and on the plot. --no-synthetic
refuses such a configuration instead. Any other missing instrument stops the replay before the first cycle,
naming it. Holdings without a configured hedge are routed as in a live run (their own perpetual if the data
has it, else the proxy).

Output: the report as a table (or --json), a PNG with --plot FILE, and with --out DIR the journal
(replay-journal.sqlite: explore it with `hedgebot journal --journal DIR/replay-journal.sqlite cycles`), the
report (report.json) and the plot (replay.png). A progress bar shows on a terminal; otherwise a line every
10 %. Exit codes: 0 done, 1 failed (market data unreadable, nothing to hedge or a holding without a spot
price in the data, a --plot or --out that cannot be written: checked before the replay), 2 bad configuration
or command line (a sample, folder or window the data does not have), 4 an instrument the configuration hedges
with is not in the data (and is not made up from spot).

examples:
  hedgebot replay                                            the sample portfolio through June 2022
  hedgebot replay --sample 2022-06-3ac-crash --json --plot out.png
  hedgebot replay --config config.example.toml --sample 2022-06-3ac-crash --plot out.png
  hedgebot replay --config scripts/demo.toml --sample 2025-10-liquidation-cascade \\
      --balance USDT=60000 --balance SOL=150 --balance ETH=4 --from 2025-10-10T18:00 --to 2025-10-11T06:00
  hedgebot replay --config my.toml --data ~/freqtrade/user_data/data --from 2025-10-01 --to 2025-11-01 --step 5m --out run1
"""
PROGRESS_LINES = 10  # without a terminal: one line every tenth of the replay


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "replay", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sample", metavar="NAME", help="a bundled market data sample (default 2022-06-3ac-crash)")
    source.add_argument(
        "--data", type=Path, action="append", default=[], metavar="DIR", help="folder of freqtrade files (repeat)"
    )
    parser.add_argument("--from", dest="start", type=_moment, metavar="TIME", help="window start (default: data's)")
    parser.add_argument("--to", dest="end", type=_moment, metavar="TIME", help="window end (default: data's)")
    parser.add_argument(
        "--step", type=_duration, default="1m", metavar="DURATION", help="market time per cycle (default 1m)"
    )
    parser.add_argument(
        "--balance", action="append", default=[], type=parse_balance, metavar="ASSET=QTY", help="account (repeat)"
    )
    parser.add_argument("--venue", metavar="NAME", help="the [venues.NAME] to replay (default: the only one)")
    parser.add_argument(
        "--no-synthetic",
        dest="synthetic",
        action="store_false",
        help="refuse a configured perpetual the data lacks instead of making it up from spot (no basis, no funding)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the replay into a PNG")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write the journal, report.json and replay.png here")
    parser.set_defaults(handler=replay, needs_config=False)


def replay(args: argparse.Namespace) -> int:
    config = _config(args.config)
    options = ReplayOptions(
        sample=args.sample,
        data=tuple(args.data),
        start=args.start,
        end=args.end,
        step=args.step,
        balances=dict(args.balance) if args.balance else None,
        out=args.out,
        synthetic=args.synthetic,
    )
    _check_outputs(args.out, args.plot)
    prepared = prepare(config, pick_venue(config, args.venue) if config else None, options)
    err.print(_announce(prepared, kept=args.out is not None), markup=False)
    for symbol in prepared.synthetic:
        err.print(f"hedgebot replay: {synthetic_note(prepared.sample, symbol)}", markup=False)
    started = time.monotonic()
    try:
        with _progress(prepared) as on_step:
            recording = asyncio.run(run(prepared, on_step))
    finally:
        if args.out is None:  # the journal went to a temporary folder of its own
            shutil.rmtree(prepared.journal.parent, ignore_errors=True)
    report = build_report(recording)
    elapsed = time.monotonic() - started
    err.print(f"replayed {report.steps - 1} cycles in {elapsed:.1f} s", markup=False)
    if args.json:
        print_json(report.to_dict())
    else:
        show(report_table(report))
        for note in report.notes:
            out.print(f"note: {note}", markup=False)
    try:
        _write(recording, report, args)
    except OSError as exc:
        raise DataError(f"the report is above, but it could not be written: {exc}") from exc
    return 0


def _config(path: Path | None) -> AppConfig | None:
    """The configuration from --config, $HEDGEBOT_CONFIG or ./hedgebot.toml; None when none of them exists."""
    if path is not None:
        return load_config(path, secrets=False)  # the replay connects to no venue
    implicit = Path(os.environ.get("HEDGEBOT_CONFIG", "hedgebot.toml"))
    if "HEDGEBOT_CONFIG" in os.environ or implicit.is_file():
        return load_config(implicit, secrets=False)
    return None


def _check_outputs(folder: Path | None, plot: Path | None) -> None:
    """--out and --plot can be written: found out before the replay, not after it."""
    if plot is not None and plot.is_dir():
        raise DataError(f"--plot {plot} is a folder: name the PNG file to write, e.g. {plot / 'replay.png'}")
    for option, path in (("--out", folder), ("--plot", plot.parent if plot else None)):
        if path is None:
            continue
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(f"{option}: cannot make the folder {path} ({exc.strerror}): choose another") from exc


def _announce(prepared: Prepared, *, kept: bool) -> str:
    balances = ", ".join(f"{qty.normalize():f} {asset}" for asset, qty in sorted(prepared.balances.items()))
    journal = (
        f"journal {prepared.journal}" if kept else "journal in a temporary folder, removed at the end (--out keeps it)"
    )
    return (
        f"hedgebot replay: {prepared.sample.name} from {prepared.start:%Y-%m-%d %H:%M} to "
        f"{prepared.end:%Y-%m-%d %H:%M} UTC, a cycle every {prepared.step}; account {balances}; {journal}"
    )


class _progress:
    """A rich progress bar on a terminal (market time reached, cycles, fills, ETA); plain lines otherwise."""

    def __init__(self, prepared: Prepared) -> None:
        self._terminal = err.is_terminal
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[cycles]} cycles, {task.fields[fills]} fills"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self._task = self._bar.add_task(f"{prepared.start:%Y-%m-%d %H:%M}", total=None, cycles=0, fills=0)
        self._shown = -1

    def __enter__(self) -> Callable[[ReplayProgress], None]:
        if self._terminal:
            self._bar.start()
        return self._update

    def __exit__(self, *_: object) -> None:
        if self._terminal:
            self._bar.stop()

    def _update(self, progress: ReplayProgress) -> None:
        if self._terminal:
            self._bar.update(
                self._task,
                total=progress.total,
                completed=progress.done,
                description=f"{progress.market_time:%Y-%m-%d %H:%M} UTC",
                cycles=progress.done,
                fills=progress.fills,
            )
            return
        tenth = progress.done * PROGRESS_LINES // max(progress.total, 1)
        if tenth > self._shown:
            self._shown = tenth
            err.print(
                f"replay: {progress.market_time:%Y-%m-%d %H:%M} UTC, {progress.done}/{progress.total} cycles, "
                f"{progress.fills} fills",
                markup=False,
            )


def _write(recording: Recording, report: Report, args: argparse.Namespace) -> None:
    plots = [p for p in (args.plot, args.out / "replay.png" if args.out else None) if p is not None]
    if plots:
        from bot.replay.plot import write_plot  # matplotlib loads only when a plot is asked for

        for path in plots:
            write_plot(recording, report, path)
            err.print(f"plot written to {path}", markup=False)
    if args.out:
        path = args.out / "report.json"
        path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        err.print(f"report written to {path}", markup=False)


def report_table(report: Report) -> Table:
    table = Table(
        title=f"Will it protect me? {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC",
        caption=report.synthetic_caption,
    )
    table.add_column("", no_wrap=True)
    table.add_column("unhedged", justify="right")
    table.add_column("hedged", justify="right")
    start = money(report.unhedged_start)
    table.add_row(
        "portfolio value", f"{start} -> {money(report.unhedged_end)}", f"{start} -> {money(report.hedged_end)}"
    )
    table.add_row("return", _pct(report.unhedged_return), _pct(report.hedged_return))
    table.add_row("max drawdown", _pct(-report.max_drawdown_unhedged), _pct(-report.max_drawdown_hedged))
    if report.worst is not None:
        table.add_row(
            f"worst moment ({report.worst.at:%Y-%m-%d %H:%M})", money(report.worst.unhedged), money(report.worst.value)
        )
    effectiveness = "-" if report.hedge_effectiveness is None else f"{report.hedge_effectiveness:.1%}"
    table.add_row("hedge effectiveness", "", effectiveness)
    table.add_row("tracking error", "", f"{report.tracking_error:.2%}")
    share = report.time_out_of_band / report.duration if report.duration else 0.0
    table.add_row("time out of band", "", f"{report.time_out_of_band} ({share:.1%})")
    table.add_row(
        "time to build the hedge", "", str(report.time_to_hedge) if report.time_to_hedge is not None else "never"
    )
    reentries = [e.duration for e in report.shocks]
    if reentries:
        done = [d for d in reentries if d is not None]
        longest = str(max(done)) if done else "-"
        pending = len(reentries) - len(done)
        table.add_row(
            "shocks beyond the band",
            "",
            f"{len(reentries)}: back in band within {longest}" + (f", {pending} not" if pending else ""),
        )
    table.add_row("fees paid", "", money(report.fees))
    table.add_row("funding received (+) / paid (-)", "", money(report.funding))
    table.add_row("slippage vs decision mid", "", money(report.slippage))
    table.add_row("maker share of fills", "", "-" if report.maker_share is None else f"{report.maker_share:.0%}")
    table.add_row(
        "orders / cancels / post-only rejections / re-prices",
        "",
        f"{report.orders} / {report.cancels} / {report.post_only_rejections} / {report.reprices}",
    )
    table.add_row("fills", "", str(report.fills))
    closest = report.min_liquidation_distance
    table.add_row(
        "closest to liquidation",
        "",
        "-" if closest is None else f"{closest.value:.0%} away ({closest.symbol}, {closest.at:%Y-%m-%d %H:%M})",
    )
    return table


def _pct(value: object) -> str:
    return f"{value:+.2%}"


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: write 2022-06-13 or 2022-06-13T18:00") from None
    if not 1970 <= moment.year <= 9998:  # room for the history before and the week after a --from
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: a time from 1970 to 9998")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _duration(text: str) -> object:
    try:
        step = parse_duration(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration: write {DURATION_FORMS}") from None
    if step.total_seconds() <= 0:
        raise argparse.ArgumentTypeError("the step must be longer than zero")
    return step
