"""The error policy of a run, one for `hedgebot run`, `hedgebot unwind` and the end-to-end tests alike.

``supervise`` runs a run's work (start-up, then its cycles) and always leaves a clean state:

    the work returns                 -> stopped by a signal: our resting orders cancelled   exit: the work's code
    HaltRequested                    -> HALTED journaled, our resting orders cancelled      exit 3
    PreflightError, ReconciliationError (refused to start)  -> the error journaled         exit 4 when a person
                                        must act (``bot.errors.needs_operator``), else 1 (the venue unreachable)
    anything else (a crash)          -> HALTED (fatal_error), our resting orders cancelled  exit 1; re-raised
                                        when it is not one of ours (bot.errors)

Positions are always kept, and in every case but a refusal fills and funding are synced once more before the run
is recorded as ended (``Run.end``). If the venue cannot be read to cancel our resting orders (an outage,
``bot.execution.outage``), they are left on the book and ``RunEnd.orders_left`` says why; a stop then exits 1,
not 0 (the next run adopts or sweeps them). What to tell the operator is the caller's: ``RunEnd`` says how it
ended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from bot.errors import HaltRequested, HedgebotError, PreflightError, ReconciliationError
from bot.execution.outage import VENUE_DOWN
from bot.execution.run import Run
from bot.exit_codes import EXIT_FAILED, EXIT_HALTED, EXIT_NEEDS_OPERATOR, EXIT_OK, refusal_code
from bot.risk.state import Trigger

log = structlog.get_logger(__name__)

__all__ = ["EXIT_FAILED", "EXIT_HALTED", "EXIT_NEEDS_OPERATOR", "EXIT_OK", "Ending", "RunEnd", "supervise"]


class Ending(StrEnum):
    DONE = "done"  # the work finished (its cycles done, or flat)
    STOPPED = "stopped"  # a stop was requested (SIGINT, SIGTERM): our resting orders cancelled
    HALTED = "halted"  # the kill switch, a halt signal or a failed reconciliation: HALTED, orders cancelled
    REFUSED = "refused"  # start-up refused to trade (preflight, reconciliation): nothing was sent
    CRASHED = "crashed"  # an unexpected error: HALTED, orders cancelled


@dataclass(frozen=True, slots=True)
class RunEnd:
    """How a run ended: its exit code, why, and what was cleaned up."""

    code: int
    ending: Ending
    detail: str = ""  # the halt's, refusal's or error's message
    cancelled: int = 0  # resting orders cancelled because a stop was requested
    orders_left: str = ""  # why our resting orders could not be cancelled (the venue unreadable): they stay


async def supervise(run: Run, work: Callable[[], Awaitable[int]]) -> RunEnd:
    """Run ``work`` under the error policy above; ``run`` is the run it starts and trades."""
    stop = run.interrupts.stop
    try:
        code = await work()
        if not stop.is_set():
            await run.end(code, Ending.DONE.value)
            return RunEnd(code, Ending.DONE)
        try:
            cancelled = await run.cancel_our_orders("stopped by signal")
        except VENUE_DOWN as down:  # stopped all the same, not halted: the next run adopts or sweeps them
            await run.end(EXIT_FAILED, Ending.STOPPED.value)
            return RunEnd(EXIT_FAILED, Ending.STOPPED, orders_left=str(down))
        await run.end(code, Ending.STOPPED.value)
        return RunEnd(code, Ending.STOPPED, cancelled=cancelled)
    except HaltRequested as exc:
        left = await run.halt(str(exc))
        await run.end(EXIT_HALTED, f"halted: {exc}")
        return RunEnd(EXIT_HALTED, Ending.HALTED, str(exc), orders_left=left)
    except (PreflightError, ReconciliationError) as exc:
        run.journal.record_error(run.run_id if run.started else None, type(exc).__name__, str(exc))
        return RunEnd(refusal_code(exc), Ending.REFUSED, str(exc))
    except Exception as exc:
        # Fail closed: an unexpected error halts, cancels our resting orders and exits non-zero.
        log.exception("run.crashed", error=str(exc))
        run.journal.record_error(run.run_id if run.started else None, type(exc).__name__, str(exc))
        left = ""
        try:
            left = await run.halt(f"{type(exc).__name__}: {exc}", Trigger.FATAL_ERROR)
        except Exception:
            log.exception("run.halt_failed")
        await run.end(EXIT_FAILED, f"crashed: {exc}")
        if isinstance(exc, HedgebotError):
            return RunEnd(EXIT_FAILED, Ending.CRASHED, str(exc), orders_left=left)
        raise
