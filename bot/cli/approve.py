"""The terminal approver: a cycle's orders shown as one table with their what-if, answered at the keyboard.

At the plan: approve all, go one by one, reject all, or halt. One by one, each order: yes, edit its size, skip it,
reject it and the rest, or halt. An approved order carries the limit the person saw ("at or above 116500.0" for a
sell): re-prices within it go out without asking again. No answer within ``approval.timeout`` means no. Whatever
is answered goes through the risk gate again before it is sent (``bot.execution.approving``).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from bot.cli.output import err, show
from bot.cli.review_table import covers, orders_table, what_if_table
from bot.domain import Market, OrderIntent
from bot.errors import HedgebotError
from bot.execution.approval import Approval, Review, Verdict

PLAN_PROMPT = "approve? [a]ll / [o]ne by one / [r]eject all / [h]alt: "
ORDER_PROMPT = "order {index}/{total}: [y]es / [e]dit size / [s]kip / [r]eject the rest / [h]alt: "
SIZE_PROMPT = "new size of order {index} in contracts (a multiple of {step}, at least {minimum}): "

ALL, ONE_BY_ONE, REJECT, HALT = ("a", "all", "y", "yes"), ("o", "one"), ("r", "reject", "q", "quit"), ("h", "halt")
YES, EDIT, SKIP = ("y", "yes"), ("e", "edit"), ("s", "skip", "n", "no")


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

    async def review(self, review: Review) -> list[Approval]:
        if not review.intents or review.what_if is None:
            return []  # nothing to do this cycle: nothing to show
        show(orders_table(review), err)
        show(what_if_table(review.what_if), err)
        err.print(
            f"answer within {review.timeout_seconds:f} s; sent only if answered within {review.max_plan_age_seconds:f} s "
            "of now and the prices have not moved away (else planned and shown again); every order is checked "
            "against the risk limits again before it is sent",
            markup=False,
        )
        answer = await self._ask(PLAN_PROMPT)
        if answer in ONE_BY_ONE:
            return await self._one_by_one(review)
        if answer in ALL:
            return [self._approved(review, i) for i in range(len(review.intents))]
        if answer in HALT:
            return self._all(review, Verdict.HALT, "halt at the plan")
        return self._all(review, Verdict.REJECTED, "timed out" if answer == "" else f"rejected at the plan ({answer})")

    async def _one_by_one(self, review: Review) -> list[Approval]:
        results: list[Approval] = []
        total = len(review.intents)
        for index, intent in enumerate(review.intents):
            err.print(f"order {index + 1}/{total}: {describe(intent)}; {covers(intent, review.limits[index])}",
                      markup=False)  # fmt: skip
            answer = await self._ask(ORDER_PROMPT.format(index=index + 1, total=total))
            if answer in HALT:
                return self._all(review, Verdict.HALT, f"halt at order {index + 1}")
            if answer in REJECT:
                rest = [
                    Approval(i, Verdict.REJECTED, self.name, "rejected with the rest") for i in review.intents[index:]
                ]
                return results + rest
            if answer in YES:
                results.append(self._approved(review, index))
            elif answer in EDIT:
                results.append(await self._edit(review, index))
            else:
                note = "timed out" if answer == "" else "skipped"
                results.append(Approval(intent, Verdict.REJECTED, self.name, note))
        return results

    async def _edit(self, review: Review, index: int) -> Approval:
        """A new size, asked until it is one the venue takes (or no answer comes: then the order is skipped)."""
        intent = review.intents[index]
        market = review.markets[intent.symbol]
        prompt = SIZE_PROMPT.format(index=index + 1, step=market.lot_step, minimum=market.min_qty)
        while True:
            answer = await self._ask(prompt)
            if answer == "":
                return Approval(intent, Verdict.REJECTED, self.name, "edit timed out")
            size, problem = parse_size(answer, market)
            if size is not None:
                edited = replace(intent, amount=size, notional=market.notional(size, intent.price))
                note = f"size edited: {intent.amount} -> {size} contracts"
                return replace(self._approved(review, index, edited), note=note)
            err.print(problem, markup=False)

    def _approved(self, review: Review, index: int, intent: OrderIntent | None = None) -> Approval:
        chosen = intent or review.intents[index]
        return Approval(replace(chosen, limit_price=review.limits[index]), Verdict.APPROVED, self.name)

    def _all(self, review: Review, verdict: Verdict, note: str) -> list[Approval]:
        return [Approval(intent, verdict, self.name, note) for intent in review.intents]

    async def _ask(self, prompt: str) -> str:
        """One answer line, read without blocking the event loop; "" when none came in time (or EOF)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()

        def ready() -> None:
            if not answer.done():
                answer.set_result(sys.stdin.readline())

        sys.stderr.write(prompt)
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


def parse_size(text: str, market: Market) -> tuple[Decimal | None, str]:
    """A size typed at the prompt, if the venue can take it (positive, on the lot step, at least the minimum);
    else None and what is wrong with it."""
    try:
        size = Decimal(text)
    except InvalidOperation:
        return None, f"{text!r} is not a number of contracts"
    if not size.is_finite() or size <= 0:
        return None, "the size must be a positive number of contracts"
    if size % market.lot_step != 0:
        return None, f"{size} is not a multiple of the lot step {market.lot_step}"
    if size < market.min_qty:
        return None, f"{size} is below the minimum size {market.min_qty}"
    return size, ""


def describe(intent: OrderIntent) -> str:
    kind = "reduce-only buy-back" if intent.reduce_only else "hedge increase"
    return (
        f"{intent.side.value.upper()} {intent.amount} {intent.symbol} @ {intent.price} (post-only, {kind}; "
        f"{intent.reason.value}" + (f": {intent.note}" if intent.note else "") + ")"
    )
