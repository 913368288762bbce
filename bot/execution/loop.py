"""The hedging loop: the cycle pipeline every ``execution.interval`` until done, stopped or halted.

``run_cycles`` repeats ``CyclePipeline.run_cycle`` on a started run (``bot.execution.startup.start_run``) until the
cycle count is reached or a stop is requested (the cycle in flight finishes), reconciling every
``RunOptions.reconcile_every`` cycles; a halt (the kill switch, a signal, a failed reconciliation) raises
``HaltRequested``. The pause between cycles gives way to a stop or halt at once (``Interrupts``). What happens then
(our orders cancelled, HALTED journaled, the run ended, the exit code) is the error policy's
(``bot.execution.supervisor``).
"""

from __future__ import annotations

from bot.domain import TradingState
from bot.errors import HaltRequested
from bot.execution.cycle import CyclePipeline
from bot.execution.run import RunOptions


async def run_cycles(pipeline: CyclePipeline, options: RunOptions) -> int:
    """Cycles until the count is done or a stop is requested, then returns 0; a halt raises HaltRequested."""
    run = pipeline.run
    interval = run.settings.execution.interval.total_seconds()
    stop = run.interrupts.stop
    done = 0
    while options.cycles is None or done < options.cycles:
        run.raise_if_halt_requested()
        await pipeline.run_cycle(reconcile_now=done > 0 and done % options.reconcile_every == 0)
        done += 1
        if run.risk_state.trading is TradingState.HALTED:
            raise HaltRequested(run.risk_state.detail or "halted")
        if stop.is_set() or (options.cycles is not None and done >= options.cycles):
            break
        await run.pause(interval)
        if stop.is_set():
            break
    return 0
