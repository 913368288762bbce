"""Specification of the exit codes a supervisor acts on: a refusal that passes by itself exits 1 (restart later),
one that needs a person exits 4 (never restarted), judged by the error and what caused it."""

from __future__ import annotations

import pytest

from bot.errors import (
    AuthenticationFailed,
    ClockSkew,
    DataError,
    ExchangeUnavailable,
    HedgebotError,
    PermissionDenied,
    PreflightError,
    RateLimited,
    ReconciliationError,
    RequestTimedOut,
    VenueUnsupported,
)
from bot.exit_codes import EXIT_FAILED, EXIT_NEEDS_OPERATOR, refusal_code


def caused(error: HedgebotError, cause: BaseException) -> HedgebotError:
    """``error`` as raised ``from cause``."""
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        # passes by itself: restart later
        (ExchangeUnavailable("venue unreachable"), EXIT_FAILED),
        (RequestTimedOut("no answer"), EXIT_FAILED),
        (RateLimited("throttled"), EXIT_FAILED),
        (DataError("a malformed reply"), EXIT_FAILED),
        (caused(PreflightError("main: the venue refused the request's timestamp"), ClockSkew("10002")), EXIT_FAILED),
        (caused(PreflightError("main: cannot read the account"), ExchangeUnavailable("503")), EXIT_FAILED),
        (caused(PreflightError("main: cannot start from the replies"), DataError("NaN")), EXIT_FAILED),
        (
            caused(PreflightError("cannot read the key"), caused(PermissionDenied("x"), RequestTimedOut("slow"))),
            EXIT_FAILED,
        ),
        (HedgebotError("anything else of ours"), EXIT_FAILED),
        # needs a person: never restarted
        (caused(PreflightError("main: the API key was refused"), AuthenticationFailed("10003")), EXIT_NEEDS_OPERATOR),
        (PreflightError("main: the API key can withdraw"), EXIT_NEEDS_OPERATOR),
        (PreflightError("hedges.SOL.instrument: NOPE/USDT:USDT is not listed"), EXIT_NEEDS_OPERATOR),
        (PreflightError("1 USDT is available for margin but the plan needs 900 USDT more"), EXIT_NEEDS_OPERATOR),
        (ReconciliationError("a position the journal cannot explain"), EXIT_NEEDS_OPERATOR),
        (AuthenticationFailed("bad signature"), EXIT_NEEDS_OPERATOR),
        (PermissionDenied("no derivatives permission"), EXIT_NEEDS_OPERATOR),
        (VenueUnsupported("binance cannot run in mode 'testnet'"), EXIT_NEEDS_OPERATOR),
    ],
    ids=lambda value: value if isinstance(value, int) else f"{type(value).__name__}: {value}",
)
def test_refusal_code_when_the_cause_passes_by_itself_then_1_when_a_person_must_act_then_4(
    error: HedgebotError, code: int
) -> None:
    assert refusal_code(error) == code
