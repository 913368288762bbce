"""What-if table: the portfolio's outcome for market moves at several hedge ratios, before costs (pure).

For a holding of value V hedged at ratio r, a move m of the holding's price changes the spot leg by V·m and
the short by −V·r·m (a proxy hedge sized with an accurate beta gives the same: −V·r·β · m/β), so the
portfolio changes by V·m·(1 − r). Funding per day is what the short receives at a given funding rate per
settlement (positive rate: longs pay shorts); a negative number is a cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_MOVES = tuple(Decimal(m) / 100 for m in (-50, -30, -20, -10, 10, 20, 30))
DEFAULT_RATIOS = (Decimal(0), Decimal("0.5"), Decimal("0.75"), Decimal(1))
HOURS_PER_DAY = Decimal(24)


@dataclass(frozen=True, slots=True)
class Exposure:
    """One holding's value and the hedge ratio the configuration gives it."""

    asset: str
    value: Decimal
    configured_ratio: Decimal


@dataclass(frozen=True, slots=True)
class ScenarioColumn:
    label: str  # "0%", "50%", ..., "configured"
    ratio: Decimal  # effective (value-weighted) ratio of the column
    hedge_notional: Decimal
    funding_per_day: Decimal | None  # received by the short; negative = paid


@dataclass(frozen=True, slots=True)
class ScenarioCell:
    pnl: Decimal  # quote currency
    pnl_pct: Decimal  # of the portfolio's value, in percent


@dataclass(frozen=True, slots=True)
class ScenarioRow:
    move: Decimal  # fraction, e.g. -0.2
    cells: tuple[ScenarioCell, ...]  # one per column


@dataclass(frozen=True, slots=True)
class ScenarioTable:
    portfolio_value: Decimal
    columns: tuple[ScenarioColumn, ...]
    rows: tuple[ScenarioRow, ...]
    funding_rate: Decimal | None
    funding_interval_hours: Decimal


def scenario_table(
    exposures: Sequence[Exposure],
    moves: Sequence[Decimal] = DEFAULT_MOVES,
    ratios: Sequence[Decimal] = DEFAULT_RATIOS,
    funding_rate: Decimal | None = None,
    funding_interval_hours: Decimal = Decimal(8),
) -> ScenarioTable:
    """Build the table: one column per uniform ratio, plus the configured (per-holding) ratios."""
    if funding_interval_hours <= 0:
        raise ValueError("funding_interval_hours must be positive")
    total = sum((e.value for e in exposures), Decimal(0))
    settlements_per_day = HOURS_PER_DAY / funding_interval_hours

    def column(label: str, hedge_notional: Decimal) -> ScenarioColumn:
        ratio = hedge_notional / total if total else Decimal(0)
        funding = None if funding_rate is None else hedge_notional * funding_rate * settlements_per_day
        return ScenarioColumn(label, ratio, hedge_notional, funding)

    columns = [column(_percent_label(r), total * r) for r in ratios]
    columns.append(column("configured", sum((e.value * e.configured_ratio for e in exposures), Decimal(0))))

    rows = []
    for move in moves:
        cells = []
        for col in columns:
            pnl = (total - col.hedge_notional) * move
            pct = pnl / total * 100 if total else Decimal(0)
            cells.append(ScenarioCell(pnl, pct))
        rows.append(ScenarioRow(move, tuple(cells)))
    return ScenarioTable(total, tuple(columns), tuple(rows), funding_rate, funding_interval_hours)


def _percent_label(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"
