"""The hedging loop: the cycle pipeline every ``execution.interval`` until done, stopped or halted.

``execution.interval`` is a period, from one cycle's start to the next's: the pause after a cycle is what is left of
it (none when the cycle took longer). ``run_cycles`` repeats ``CyclePipeline.run_cycle`` on a started run
(``bot.execution.startup.start_run``) until the cycle count is reached or a stop is requested (the cycle in flight
finishes; a cycle whose approval went stale is planned and asked again at once, and does not count), reconciling every
``RunOptions.reconcile_every`` cycles; a halt (the kill switch, a signal, a failed reconciliation) raises
``HaltRequested``. The pause between cycles gives way to a stop or halt at once (``Interrupts``). What happens then
(our orders cancelled, HALTED journaled, the run ended, the exit code) is the error policy's
(``bot.execution.supervisor``).
"""

from __future__ import annotations

import time

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
        started = time.monotonic()
        outcome = await pipeline.run_cycle(reconcile_now=done > 0 and done % options.reconcile_every == 0)
        if outcome.replanned_because is not None and not stop.is_set():
            continue  # an approval came too late or the price moved: plan and ask again now, as the same cycle
        done += 1
        if run.risk_state.trading is TradingState.HALTED:
            raise HaltRequested(run.risk_state.detail or "halted")
        if stop.is_set() or (options.cycles is not None and done >= options.cycles):
            break
        await run.pause(pause_left(interval, time.monotonic() - started))
        if stop.is_set():
            break
    return 0


def pause_left(interval: float, took: float) -> float:
    """Seconds to wait after a cycle that ``took`` seconds so that the next one starts ``interval`` after its start."""
    return max(0.0, interval - took)
