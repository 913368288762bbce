"""Hedges on several venues in one process: a desk per trading venue, each supervised on its own, side by side.

    pipelines = [CyclePipeline(Run(desk, port, journal, clock, run_id=..., interrupts=shared), approver)
                 for desk in desks_for(config, default)]       # bot.settings.from_config: each asset on one desk
    ends = await supervise_desks(pipelines, work)               # work(pipeline): start_run, then its cycles
    code = exit_code(ends)

A desk is the one-venue machinery as it is: its port, preflight (leverage, margin mode), key check, reconciliation,
start-up sweep, executor, dead-man's switch, outage watch and trading state, and the risk gate on its own account
(margin, leverage, liquidation distance and the order rate are per account), which adds the other desks' hedges
for the portfolio's limits (``bot.execution.portfolio``: total hedge notional, daily turnover). The desks share the
journal (every order, fill, funding and baseline row names its venue, and each run's start row too), the approver,
and the stop and halt requests (a signal or the kill-switch file stops or halts them all). A venue that fails ends or
pauses its own desk only: refused at start-up (a key refused, unreachable), unreadable later (its cycles pause), or halted by its own
reconciliation, while the other desks go on; no asset is hedged on two desks, so none trades on another's data. An
error that is not a venue's (a bug: ``supervise`` re-raises it) stops every desk, then is raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.execution.cycle import CyclePipeline
from bot.execution.supervisor import RunEnd, supervise
from bot.exit_codes import EXIT_FAILED, EXIT_HALTED, EXIT_NEEDS_OPERATOR, EXIT_OK

Work = Callable[[CyclePipeline], Awaitable[int]]

# The code a process of several desks exits with: the one that most needs a person, of its desks' codes.
_MOST_URGENT_FIRST = (EXIT_NEEDS_OPERATOR, EXIT_HALTED, EXIT_FAILED)


async def supervise_desks(pipelines: Sequence[CyclePipeline], work: Work) -> list[RunEnd]:
    """Each desk's ``work`` under the error policy (``bot.execution.supervisor``), concurrently; how each ended."""

    async def desk(pipeline: CyclePipeline) -> RunEnd:
        run = pipeline.run
        try:
            end = await supervise(run, lambda: work(pipeline))
        except BaseException:
            run.interrupts.request_stop()  # not a venue's failure: the other desks stop too
            raise
        run.portfolio.withdraw(
            run.venue, f"its desk ended ({end.ending.value})"
        )  # the others count the journal's account
        return end

    ends = await asyncio.gather(*(desk(p) for p in pipelines), return_exceptions=True)
    for end in ends:
        if isinstance(end, BaseException):
            raise end
    return [end for end in ends if isinstance(end, RunEnd)]


def exit_code(ends: Sequence[RunEnd]) -> int:
    """One exit code for the desks' ends: the most urgent one (refused until a person acts, halted, failed), else the
    first desk's."""
    codes = [end.code for end in ends]
    for code in _MOST_URGENT_FIRST:
        if code in codes:
            return code
    return codes[0] if codes else EXIT_OK
