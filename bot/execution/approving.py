"""The cycle's approval step: ask, then re-validate at the moment of sending, and gate whatever comes back.

``ApprovalStep.approve`` takes the intents the risk gate allowed in the cycle and:

1. lets through without asking the re-price of an order a person approved, while its price stays within the limit
   that person saw and it grows nothing (``OrderIntent.limit_price``); every other intent is shown to the approver
   as one ``Review`` with its what-if (``bot.risk.whatif``);
2. if the person halts: HALTED (an operator halt, journaled), our resting orders cancelled, the run ends (exit 3);
3. re-validates what was approved: a plan answered later than ``approval.max_plan_age`` after it was shown, or one
   whose mark moved more than ``approval.max_price_move_bps`` since (read from a fresh snapshot), is never sent:
   the answers are journaled ``expired`` and the caller plans and asks again at once;
4. gates every approved intent again (structurally: whatever the approver returned, edited or not), against a fresh
   snapshot when the answer took longer than ``risk.max_data_age`` or an order was edited, else against the
   cycle's; the verdicts are journaled at stage ``approval`` and only intents the gate approves are sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import structlog

from bot.core.plan import Plan
from bot.domain import FeeRates, OrderIntent, Snapshot
from bot.errors import DataError, ExchangeError
from bot.execution.approval import BPS, Approval, Approver, Review, Verdict, covered_limit, edited
from bot.execution.executor import Outcome, Placement
from bot.execution.run import Run
from bot.risk.context import RiskContext
from bot.risk.decision import RiskDecision
from bot.risk.gate import evaluate
from bot.risk.state import Trigger
from bot.risk.whatif import what_if

log = structlog.get_logger(__name__)

HALTED_AT_PROMPT = "halted at the approval prompt"

# The risk gate's view of a snapshot for a plan at a moment (``CyclePipeline._risk_context`` with a fresh history).
ContextFor = Callable[[Snapshot, Plan, datetime], RiskContext]


@dataclass(frozen=True, slots=True)
class Approved:
    """What may be sent, in the plan's order, with each intent's journal id; or why the plan must be made again."""

    to_send: list[tuple[OrderIntent, int | None]]
    replan: str | None = None  # set: nothing was sent; plan again and ask again
    denied: tuple[RiskDecision, ...] = ()  # what the gate denied of what the approver returned


class ApprovalStep:
    """One run's approvals: the approver, and the orders whose re-prices a person's approval still covers."""

    def __init__(self, run: Run, approver: Approver, context_for: ContextFor) -> None:
        self.run = run
        self.approver = approver
        self._context_for = context_for
        self._covered: dict[str, OrderIntent] = {}  # client id of a resting order -> the approved intent it came from
        self._fees: dict[str, FeeRates] = {}  # the account's fee rates per instrument, as the venue stated them

    async def approve(
        self, number: int, plan: Plan, allowed: Sequence[tuple[OrderIntent, int | None]], snapshot: Snapshot
    ) -> Approved:
        run = self.run
        live = {o.client_order_id for o in snapshot.open_orders}
        self._covered = {cid: i for cid, i in self._covered.items() if cid in live}
        shown_at = run.clock.now()
        covered = {index: self._covering(intent) for index, (intent, _) in enumerate(allowed)}
        asked = [index for index, prior in covered.items() if prior is None]
        answers: dict[int, Approval] = {
            index: Approval(replace(allowed[index][0], limit_price=prior.limit_price), Verdict.APPROVED,
                            f"{self.approver.name} (earlier approval)",
                            f"re-price within the limit approved earlier: {prior.limit_price}")
            for index, prior in covered.items() if prior is not None
        }  # fmt: skip
        # Every cycle, even with nothing to answer (the approver may want to know); the what-if only when it is shown.
        review = await self._review(number, [allowed[i][0] for i in asked], [a for a, _ in allowed], snapshot, plan,
                                    shown_at)  # fmt: skip
        answers |= dict(zip(asked, await self._ask(review), strict=True))
        ordered = [answers[index] for index in range(len(allowed))]
        ids = [intent_id for _, intent_id in allowed]
        if any(a.verdict is Verdict.HALT for a in ordered):
            self._journal(ordered, ids)
            await run.halt(HALTED_AT_PROMPT, Trigger.OPERATOR_HALT)  # journaled as the person's; orders cancelled
            run.interrupts.request_halt(HALTED_AT_PROMPT)  # ...and the run ends HALTED (exit 3)
            return Approved([])
        approved = [index for index, a in enumerate(ordered) if a.verdict is Verdict.APPROVED]
        if not approved:
            self._journal(ordered, ids)
            return Approved([])
        now = run.clock.now()
        elapsed = now - shown_at
        context = self._context_for(snapshot, plan, now)
        stale = None
        if asked and elapsed > run.settings.approval.max_plan_age:
            stale = (
                f"answered {elapsed.total_seconds():.0f} s after the plan was shown, beyond approval.max_plan_age = "
                f"{run.settings.approval.max_plan_age.total_seconds():.0f} s"
            )
        elif elapsed > run.settings.risk.max_data_age or any(
            edited(allowed[i][0], ordered[i].intent) for i in approved
        ):
            try:
                fresh = await run.read_snapshot()
            except (DataError, ExchangeError) as exc:
                fresh, stale = None, f"the venue could not be read again before sending ({exc})"
            if fresh is not None:
                stale = self._moved(snapshot, fresh, [ordered[i].intent for i in approved])
                context = self._context_for(fresh, plan, now)
        if stale is not None:
            expired = [replace(a, verdict=Verdict.EXPIRED, note=f"{stale}: planned and asked again, not sent")
                       if a.verdict is Verdict.APPROVED else a for a in ordered]  # fmt: skip
            self._journal(expired, ids)
            log.warning("approval.expired", cycle=number, reason=stale)
            return Approved([], replan=stale)
        self._journal(ordered, ids)
        decisions = self._gate([ordered[i].intent for i in approved], [ids[i] for i in approved], context)
        to_send = [(d.intent, ids[i]) for d, i in zip(decisions, approved, strict=True) if d.approved]
        return Approved(to_send, denied=tuple(d for d in decisions if not d.approved))

    def remember(self, placements: Sequence[Placement]) -> None:
        """Orders placed under a person's approval: their re-prices within its limit need no new answer."""
        for p in placements:
            if p.outcome is Outcome.PLACED and p.client_order_id is not None and p.intent.limit_price is not None:
                self._covered[p.client_order_id] = p.intent

    # -- helpers --------------------------------------------------------------------------------------------

    def _covering(self, intent: OrderIntent) -> OrderIntent | None:
        """The approved intent whose approval covers ``intent``: a re-price of its order, no larger, same side,
        within its limit."""
        prior = self._covered.get(intent.replaces or "")
        if prior is None or prior.side is not intent.side or intent.amount > prior.amount:
            return None
        return prior if prior.within_limit(intent.price) else None

    async def _review(
        self,
        number: int,
        shown: list[OrderIntent],
        everything: list[OrderIntent],
        snapshot: Snapshot,
        plan: Plan,
        shown_at: datetime,
    ) -> Review:
        """What the approver is shown; nothing to show: no what-if (its risk view and history are not made)."""
        settings = self.run.settings.approval
        markets = {i.symbol: self.run.markets.get(i.symbol) or snapshot.markets[i.symbol] for i in shown}
        change = None
        if shown:
            fees = await self._fee_rates({i.symbol for i in shown})
            change = what_if(everything, self._context_for(snapshot, plan, shown_at), fees)
        return Review(
            cycle=number,
            intents=tuple(shown),
            limits=tuple(covered_limit(i, settings.max_price_move_bps, markets[i.symbol].tick_size) for i in shown),
            what_if=change,
            markets=markets,
            shown_at=shown_at,
            timeout_seconds=Decimal(str(settings.timeout.total_seconds())),
            max_plan_age_seconds=Decimal(str(settings.max_plan_age.total_seconds())),
        )

    async def _fee_rates(self, symbols: set[str]) -> dict[str, FeeRates]:
        """The account's fee rates on ``symbols``, read from the venue once per instrument and run; one that cannot be
        read is left out (its fee shows as unknown) and read again next time."""
        for symbol in sorted(symbols - set(self._fees)):
            try:
                self._fees[symbol] = await self.run.port.fetch_fee_rates(symbol)
            except (ExchangeError, DataError) as exc:
                log.warning("approval.fee_rates_unknown", symbol=symbol, error=str(exc))
        return {symbol: self._fees[symbol] for symbol in symbols if symbol in self._fees}

    async def _ask(self, review: Review) -> list[Approval]:
        """The approver's answers, unless a stop or halt comes first: then every intent is rejected, unsent."""
        interrupts = self.run.interrupts
        answers = await interrupts.wait(self.approver.review(review))
        if answers is None:
            note = f"not answered: {interrupts.reason}"
            return [Approval(intent, Verdict.REJECTED, self.approver.name, note) for intent in review.intents]
        if len(answers) != len(review.intents):  # fail closed: an approver that miscounts approves nothing
            note = f"the approver answered {len(answers)} of {len(review.intents)} orders"
            return [Approval(intent, Verdict.REJECTED, self.approver.name, note) for intent in review.intents]
        return answers

    def _moved(self, shown: Snapshot, fresh: Snapshot, intents: Sequence[OrderIntent]) -> str | None:
        """Why the fresh snapshot makes the shown plan stale (a mark moved too far, data gone bad), or None."""
        limit = self.run.settings.approval.max_price_move_bps
        for symbol in sorted({i.symbol for i in intents}):
            if symbol in fresh.bad_data:
                return f"the venue's data on {symbol} cannot be trusted now ({fresh.bad_data[symbol]})"
            before, after = shown.tickers.get(symbol), fresh.tickers.get(symbol)
            if before is None or after is None:
                return f"no mark price for {symbol}"
            moved = abs(after.mark - before.mark) / before.mark * BPS
            if moved > limit:
                return (
                    f"the mark of {symbol} moved {moved:.1f} bps ({before.mark} -> {after.mark}) since the plan was "
                    f"shown, beyond approval.max_price_move_bps = {limit}"
                )
        return None

    def _journal(self, approvals: Sequence[Approval], ids: Sequence[int | None]) -> None:
        for approval, intent_id in zip(approvals, ids, strict=True):
            if intent_id is None:
                continue
            self.run.journal.record_approval(
                intent_id, approver=approval.approver, verdict=approval.verdict.value,
                amount=approval.intent.amount, price=approval.intent.price, note=approval.note,
            )  # fmt: skip

    def _gate(
        self, intents: list[OrderIntent], ids: list[int | None], context: RiskContext
    ) -> tuple[RiskDecision, ...]:
        """The risk gate on what the approver returned, journaled at stage ``approval``."""
        decisions = evaluate(intents, context, self.run.settings.risk)
        known = [(i, d) for i, d in zip(ids, decisions, strict=True) if i is not None]
        self.run.journal.record_risk_decisions([i for i, _ in known], [d for _, d in known], stage="approval")
        for denied in (d for d in decisions if not d.approved):
            log.info("risk.denied", stage="approval", symbol=denied.intent.symbol, side=denied.intent.side,
                     amount=denied.intent.amount, reasons=denied.summary)  # fmt: skip
        return decisions
