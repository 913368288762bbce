"""Each hedge position's leverage kept at ``execution.leverage``: set back when changed outside the bot, or halt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import structlog

from bot.domain import Position
from bot.errors import PreflightError
from bot.exchange.port import ExchangePort
from bot.exchange.preflight import set_leverage_read_back
from bot.journal.writer import Journal
from bot.risk.state import StateEvent, Trigger

log = structlog.get_logger(__name__)

JOURNAL_KIND = "leverage_changed"  # the journal's error rows for a leverage changed outside the bot


@dataclass(frozen=True, slots=True)
class LeverageCheck:
    leverage: Mapping[str, Decimal]  # per instrument, the leverage set at the venue as now known
    halts: tuple[StateEvent, ...] = ()  # one per instrument whose leverage could not be set back


async def keep_leverage(
    port: ExchangePort, journal: Journal, run_id: str, positions: Mapping[str, Position], configured: Decimal
) -> LeverageCheck:
    """Compare the leverage each position reports (read with the cycle's positions: no extra request) with
    ``configured``; set a changed one back and read it back, journaling and logging the change, or return a halt.

    A flat position reports no leverage on some venues (Bybit lists open positions only): it is checked from
    the cycle it holds contracts again.
    """
    known: dict[str, Decimal] = {}
    halts: list[StateEvent] = []
    for symbol, position in sorted(positions.items()):
        found = position.leverage
        if found is None:
            continue
        known[symbol] = found
        if found == configured:
            continue
        log.warning("leverage.changed", symbol=symbol, found=found, configured=configured)
        try:
            known[symbol] = await set_leverage_read_back(port, symbol, configured)
        except PreflightError as exc:
            detail = (
                f"{symbol}: the leverage is {found}x, set outside hedgebot (execution.leverage = {configured}), and "
                f"cannot be set back: {exc}"
            )
            journal.record_error(run_id, JOURNAL_KIND, detail, symbol=symbol)
            log.error("leverage.not_restored", symbol=symbol, found=found, configured=configured, error=str(exc))
            halts.append(StateEvent(Trigger.LEVERAGE_CHANGED, detail))
            continue
        detail = f"{symbol}: the leverage was {found}x, set outside hedgebot; set back to {configured}x and read back"
        journal.record_error(run_id, JOURNAL_KIND, detail, symbol=symbol)
        log.warning("leverage.restored", symbol=symbol, found=found, leverage=configured)
    return LeverageCheck(known, tuple(halts))
