"""The terminal approver: each order the risk gate allowed is shown and waits for a yes or no."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta

from bot.cli.output import err, money
from bot.domain import OrderIntent
from bot.errors import HedgebotError
from bot.execution.approval import Approval, Verdict

PROMPT = "approve? [y]es / [n]o / [a]ll remaining this cycle / [q] reject all this cycle: "


class TerminalApprover:
    """Asks at the terminal. Unanswered within ``timeout`` means no: nothing is sent."""

    name = "terminal"

    def __init__(self, timeout: timedelta) -> None:
        if not sys.stdin.isatty():
            raise HedgebotError(
                "approval.mode = 'ask' needs a terminal to ask at; run it in one, or use --approve auto to let "
                "orders within the risk limits go out unattended"
            )
        self._timeout = timeout.total_seconds()

    async def review(self, intents: Sequence[OrderIntent]) -> list[Approval]:
        results: list[Approval] = []
        verdict_for_rest: Verdict | None = None
        for index, intent in enumerate(intents, start=1):
            if verdict_for_rest is not None:
                results.append(Approval(intent, verdict_for_rest, self.name, "answered for the rest of the cycle"))
                continue
            err.print(describe(intent, index, len(intents)), markup=False)
            answer = await self._ask()
            if answer in ("a", "all"):
                verdict_for_rest = Verdict.APPROVED
            if answer in ("q", "quit"):
                verdict_for_rest = Verdict.REJECTED
            approved = answer in ("y", "yes", "a", "all")
            note = "timed out" if answer == "" else ""
            results.append(Approval(intent, Verdict.APPROVED if approved else Verdict.REJECTED, self.name, note))
        return results

    async def _ask(self) -> str:
        """One answer line, read without blocking the event loop; "" when none came in time (or EOF)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()

        def ready() -> None:
            if not answer.done():
                answer.set_result(sys.stdin.readline())

        sys.stderr.write(PROMPT)
        sys.stderr.flush()
        loop.add_reader(sys.stdin.fileno(), ready)
        try:
            line = await asyncio.wait_for(answer, timeout=self._timeout)
        except TimeoutError:
            line = ""
        except asyncio.CancelledError:  # the loop stopped waiting (a stop or halt): end the prompt's line
            sys.stderr.write("\n")
            raise
        finally:
            loop.remove_reader(sys.stdin.fileno())
        if not line.strip():
            err.print("no answer: rejected", markup=False)
        return line.strip().lower()


def describe(intent: OrderIntent, index: int, total: int) -> str:
    kind = "reduce-only buy-back" if intent.reduce_only else "hedge increase"
    return (
        f"[{index}/{total}] {intent.side.value.upper()} {intent.amount} {intent.symbol} @ {intent.price} "
        f"(~{money(intent.notional)} USDT, post-only, {kind}; {intent.reason.value}"
        + (f": {intent.note}" if intent.note else "")
        + ")"
    )
