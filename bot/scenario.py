"""What-if table: the portfolio's outcome for market moves at several hedge ratios, before costs (pure).

For a holding of value V hedged at ratio r, a move m of the holding's price changes the spot leg by V·m and
the short by −V·r·m (a proxy hedge sized with an accurate beta gives the same: −V·r·β · m/β), so the
portfolio changes by V·m·(1 − r).

That holds until the short is liquidated. The short of notional H = V·r is a margined position opened at
today's price: at leverage L in isolated margin it holds H/L of margin; in cross margin the collateral C
backs it (the initial margin H/L unless given). ``bot.risk.liquidation`` (the risk gate's own estimate, with
the maintenance rate taken on the mark value) gives the price where it is liquidated, as a move from today:
at 2x isolated with a 0.5 % maintenance rate, (1 + 1/2) / 1.005 − 1 = +49.25 %. From that move on the short
is gone and its margin (isolated) or the collateral (cross) with it: the portfolio changes by V·m − margin,
the holdings rising unhedged. Fees, funding and tiered maintenance rates are ignored.

Funding per day is what the short receives at a given funding rate per settlement (positive rate: longs pay
shorts); a negative number is a cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import ONE, ZERO, MarginMode
from bot.risk.liquidation import liquidation_price

DEFAULT_MOVES = tuple(Decimal(m) / 100 for m in (-50, -30, -20, -10, 10, 20, 30, 50, 100))
DEFAULT_RATIOS = (Decimal(0), Decimal("0.5"), Decimal("0.75"), Decimal(1))
HOURS_PER_DAY = Decimal(24)


@dataclass(frozen=True, slots=True)
class Exposure:
    """One holding's value and the hedge ratio the configuration gives it."""

    asset: str
    value: Decimal
    configured_ratio: Decimal


@dataclass(frozen=True, slots=True)
class HedgeMargin:
    """How the short is margined: leverage, margin mode, maintenance rate and (cross only) the collateral."""

    leverage: Decimal
    margin_mode: MarginMode
    maintenance_margin_rate: Decimal
    collateral: Decimal | None = None  # cross margin: quote currency backing the hedge; None = its initial margin

    def __post_init__(self) -> None:
        if self.leverage <= 0:
            raise ValueError(f"leverage must be positive, got {self.leverage}")
        if not ZERO <= self.maintenance_margin_rate < ONE:
            raise ValueError(f"the maintenance margin rate must be in [0, 1), got {self.maintenance_margin_rate}")
        if self.collateral is not None and self.margin_mode is not MarginMode.CROSS:
            raise ValueError(
                f"a collateral applies to cross margin only: in {self.margin_mode.value} margin each short holds "
                "only its own margin"
            )
        if self.collateral is not None and self.collateral <= 0:
            raise ValueError(f"the collateral must be positive, got {self.collateral}")

    def at_stake(self, hedge_notional: Decimal) -> Decimal:
        """What a short of ``hedge_notional`` loses when it is liquidated: its margin, or the cross collateral."""
        if self.collateral is not None:
            return self.collateral
        return hedge_notional / self.leverage

    def liquidation_move(self, hedge_notional: Decimal) -> Decimal | None:
        """The price move (a fraction, > 0) at which a short of ``hedge_notional`` opened today is liquidated."""
        if hedge_notional <= 0:
            return None
        price = liquidation_price(  # in units of today's price: the short is -H units costing H
            size=-hedge_notional,
            cost=hedge_notional,
            maintenance_margin_rate=self.maintenance_margin_rate,
            margin_mode=self.margin_mode,
            leverage=self.leverage,
            equity=self.at_stake(hedge_notional),
        )
        return None if price is None else price - ONE


@dataclass(frozen=True, slots=True)
class ScenarioColumn:
    label: str  # "0%", "50%", ..., "configured"
    ratio: Decimal  # effective (value-weighted) ratio of the column
    hedge_notional: Decimal
    funding_per_day: Decimal | None  # received by the short; negative = paid
    margin: Decimal  # what the short loses if liquidated (its margin, or the cross collateral)
    liquidation_move: Decimal | None  # the move (fraction) that liquidates the short; None: no short


@dataclass(frozen=True, slots=True)
class ScenarioCell:
    pnl: Decimal  # quote currency
    pnl_pct: Decimal  # of the portfolio's value, in percent
    liquidated: bool  # the move liquidates the short: its margin is lost, the holdings are unhedged


@dataclass(frozen=True, slots=True)
class ScenarioRow:
    move: Decimal  # fraction, e.g. -0.2
    cells: tuple[ScenarioCell, ...]  # one per column


@dataclass(frozen=True, slots=True)
class ScenarioTable:
    portfolio_value: Decimal
    margin: HedgeMargin
    columns: tuple[ScenarioColumn, ...]
    rows: tuple[ScenarioRow, ...]
    funding_rate: Decimal | None
    funding_interval_hours: Decimal


def scenario_table(
    exposures: Sequence[Exposure],
    margin: HedgeMargin,
    moves: Sequence[Decimal] = DEFAULT_MOVES,
    ratios: Sequence[Decimal] = DEFAULT_RATIOS,
    funding_rate: Decimal | None = None,
    funding_interval_hours: Decimal = Decimal(8),
) -> ScenarioTable:
    """Build the table: one column per uniform ratio, plus the configured (per-holding) ratios."""
    if funding_interval_hours <= 0:
        raise ValueError("funding_interval_hours must be positive")
    total = sum((e.value for e in exposures), ZERO)
    settlements_per_day = HOURS_PER_DAY / funding_interval_hours

    def column(label: str, hedge_notional: Decimal) -> ScenarioColumn:
        ratio = hedge_notional / total if total else ZERO
        funding = None if funding_rate is None else hedge_notional * funding_rate * settlements_per_day
        liquidation = margin.liquidation_move(hedge_notional)
        at_stake = margin.at_stake(hedge_notional) if liquidation is not None else ZERO
        return ScenarioColumn(label, ratio, hedge_notional, funding, at_stake, liquidation)

    columns = [column(_percent_label(r), total * r) for r in ratios]
    columns.append(column("configured", sum((e.value * e.configured_ratio for e in exposures), ZERO)))

    rows = []
    for move in moves:
        cells = []
        for col in columns:
            liquidated = col.liquidation_move is not None and move >= col.liquidation_move
            pnl = total * move - col.margin if liquidated else (total - col.hedge_notional) * move
            pct = pnl / total * 100 if total else ZERO
            cells.append(ScenarioCell(pnl, pct, liquidated))
        rows.append(ScenarioRow(move, tuple(cells)))
    return ScenarioTable(total, margin, tuple(columns), tuple(rows), funding_rate, funding_interval_hours)


def _percent_label(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"
