"""The replay's picture: portfolio values with and without the hedge, the hedge ratio against its target, and the
costs over time, as a PNG (matplotlib, headless). Floats from here on: they only draw."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.replay.record import Recording
from bot.replay.report import CENT, Report


def write_plot(recording: Recording, report: Report, path: Path) -> None:
    """Draw ``recording`` into ``path`` (PNG)."""
    import matplotlib  # imported here: a second to load, and only --plot needs it

    matplotlib.use("Agg")
    from matplotlib import pyplot

    steps = recording.steps
    times = [s.at for s in steps]
    figure, (values, ratio, costs) = pyplot.subplots(
        3, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [3, 2, 2]}
    )
    title = f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC, one cycle every {_step(report)}"
    figure.suptitle(f"hedgebot replay: {title}", fontsize=11)

    values.plot(times, [float(s.spot_value) for s in steps], label="unhedged", color="tab:red", linewidth=1.2)
    values.plot(times, [float(s.hedged_value) for s in steps], label="hedged", color="tab:blue", linewidth=1.2)
    effectiveness = "n/a" if report.hedge_effectiveness is None else f"{report.hedge_effectiveness:.0%}"
    values.set_title(
        f"portfolio value (USDT): unhedged {report.unhedged_return:+.1%}, hedged {report.hedged_return:+.1%}; "
        f"max drawdown {report.max_drawdown_unhedged:.1%} vs {report.max_drawdown_hedged:.1%}; "
        f"hedge effectiveness {effectiveness}",
        fontsize=9,
    )
    values.legend(loc="best", fontsize=8)
    values.grid(alpha=0.3)

    achieved = [float(sum(i.notional for i in s.instruments) / s.spot_value) if s.spot_value else 0.0 for s in steps]
    wanted = [
        float(sum(i.target_notional for i in s.instruments) / s.spot_value) if s.spot_value else 0.0 for s in steps
    ]
    ratio.plot(times, wanted, label="target", color="tab:gray", linestyle="--", linewidth=1)
    ratio.plot(times, achieved, label="achieved", color="tab:blue", linewidth=1.2)
    ratio.set_title(
        f"hedge ratio (short notional / portfolio value); tracking error {report.tracking_error:.2%}, "
        f"out of band {report.time_out_of_band}",
        fontsize=9,
    )
    ratio.legend(loc="best", fontsize=8)
    ratio.grid(alpha=0.3)

    costs.plot(times, [float(s.fees) for s in steps], label="fees paid", color="tab:orange", linewidth=1.2)
    costs.plot(times, [float(-s.funding) for s in steps], label="funding paid", color="tab:purple", linewidth=1.2)
    costs.axhline(0, color="black", linewidth=0.5)
    costs.set_title(costs_title(report), fontsize=9)
    costs.legend(loc="best", fontsize=8)
    costs.grid(alpha=0.3)
    figure.autofmt_xdate()
    if report.synthetic_caption is not None:
        figure.text(0.5, 0.005, report.synthetic_caption, ha="center", va="bottom", fontsize=9, color="tab:red")
    figure.tight_layout(rect=(0, 0.02 if report.synthetic_caption else 0, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, format="png")
    pyplot.close(figure)


def costs_title(report: Report) -> str:
    """The costs panel's title: each figure in words, never a signed number beside a word that contradicts it."""
    return (
        f"cumulative costs (USDT): fees {_signed_words(report.fees, 'paid', 'rebated')}, "
        f"funding {_signed_words(report.funding, 'received', 'paid')}, "
        f"slippage {_signed_words(report.slippage, 'worse than the decision mid', 'better than the decision mid')}"
    )


def _signed_words(amount: Decimal, positive: str, negative: str) -> str:
    """``amount``'s size and what its sign means: 61.08 paid, not -61.08 received."""
    if amount.quantize(CENT) == 0:
        return "0.00"
    return f"{abs(amount):,.2f} {positive if amount > 0 else negative}"


def _step(report: Report) -> str:
    seconds = int(report.step.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
