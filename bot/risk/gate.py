"""The risk gate: every order intent of a cycle checked against every limit, in order, failing closed.

Pure: no I/O, no clock (``RiskContext.now`` is the decision time), no logging. Each intent gets a
``RiskDecision`` listing every limit it breaks; an approved intent counts as one of our resting orders (and one
more order this minute) for the intents after it, so a cycle's intents together never exceed a limit. A check
that raises denies the intent with ``CHECK_FAILED`` naming the check and the error: a limit that cannot be
evaluated is a limit that is not known to hold.

Contract with the executor: an intent with ``replaces`` is evaluated as if the order it replaces were gone,
so that order's cancel must be confirmed (or its final state known) before the replacement is sent. Cancels
are never gated: they are allowed in every trading state.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain import OrderIntent
from bot.risk.checks import CHECKS, Check
from bot.risk.context import RiskContext
from bot.risk.decision import Denial, DenialCode, RiskDecision
from bot.settings import RiskLimits


def decide(
    intent: OrderIntent, context: RiskContext, limits: RiskLimits, checks: Iterable[Check] = CHECKS
) -> RiskDecision:
    """One intent against every check (e.g. again at the moment a human approves it, with a fresh context)."""
    denials: list[Denial] = []
    for check in checks:
        try:
            denial = check(intent, context, limits)
        except Exception as exc:  # fail closed: whatever went wrong, this intent is not known to be safe
            denial = Denial(
                DenialCode.CHECK_FAILED,
                f"{getattr(check, '__name__', 'a check')} could not be evaluated ({type(exc).__name__}: {exc})",
            )
        if denial is not None:
            denials.append(denial)
    return RiskDecision(intent, tuple(denials))


def evaluate(
    intents: Iterable[OrderIntent], context: RiskContext, limits: RiskLimits, checks: Iterable[Check] = CHECKS
) -> tuple[RiskDecision, ...]:
    """Decide a cycle's intents in order; each approved intent counts toward the totals of the next ones."""
    checks = tuple(checks)
    decisions: list[RiskDecision] = []
    for intent in intents:
        decision = decide(intent, context, limits, checks)
        if decision.approved:
            context = context.with_approved(intent)
        decisions.append(decision)
    return tuple(decisions)
