"""The project's exception tree; every class says what the bot does when it is raised.

    HedgebotError
    ├── ConfigError .................. refuse to start; the CLI prints the errors and exits 2
    │   └── UsageError ............... (same) the command line, not the file, is wrong or asks the impossible
    ├── DataError .................... skip this cycle for the affected instrument; decide again next cycle
    ├── ExchangeError ................ raised only by the exchange adapter, translated from ccxt
    │   ├── ExchangeUnavailable ...... reads and cancels retry with backoff; a create is ambiguous (below)
    │   │   └── RequestTimedOut ...... (same) the request may or may not have reached the venue
    │   ├── RateLimited .............. back off, then retry reads; never re-send a create blindly
    │   ├── ClockSkew ................ re-synchronise the clock offset, then retry once
    │   ├── AuthenticationFailed ..... halt: credentials are wrong, expired or lack permissions
    │   ├── PermissionDenied ......... halt: the key cannot do this (e.g. no derivatives permission)
    │   ├── VenueUnsupported ......... refuse to start: the venue lacks a capability the bot needs
    │   ├── WriteRefused ............. a dry run's read-only connection refused a request that changes the venue:
    │   │                              a bug, nothing was sent; halt
    │   ├── OrderRejected ............ the venue said no: journal it, do not re-send the same order
    │   │   ├── PostOnlyWouldTake .... re-price from a fresh book (bounded attempts per minute)
    │   │   ├── InsufficientMargin ... deny further increases this cycle; alert
    │   │   ├── ReduceOnlyRejected ... re-read the position; the planner decides again next cycle
    │   │   ├── InvalidOrderSpec ..... a bug or stale market spec: reload markets, skip the instrument
    │   │   └── DuplicateClientOrderId  an earlier attempt landed: look it up by client id, adopt it
    │   ├── OrderNotFound ............ the order is gone (filled or cancelled): fetch it by id to learn which
    │   └── AmbiguousOrderOutcome .... freeze the symbol; look the order up by client id before anything else
    ├── PreflightError ............... refuse to start (credentials, markets, position mode, leverage, margin)
    ├── ReconciliationError .......... refuse to trade: the exchange holds something the journal cannot explain
    ├── JournalError ................. halt: the bot never trades without a journal entry written first
    ├── HaltRequested ................ the kill switch fired: cancel our resting orders, keep positions, stop
    └── AlertDeliveryFailed .......... an alert did not arrive: retried in the background if transient; never
                                       reaches a trading decision

"Denied" (our risk gate said no; nothing was sent) is a value returned by the risk gate, not an exception;
"rejected" (the venue said no) is ``OrderRejected``.

A refusal to start either passes by itself (the venue unreachable, throttled or answering garbage: restart later)
or needs a person (a refused key, a key that can withdraw, an unknown instrument, too little margin, a position the
journal cannot explain): ``needs_operator`` tells which, from the error and what caused it, for the exit code.
"""

from __future__ import annotations


class HedgebotError(Exception):
    """Base class of every error the bot raises on purpose."""


class ConfigError(HedgebotError):
    """The configuration is invalid. Response: refuse to start, print every problem, exit 2.

    ``problems`` holds one ``(key path, message)`` pair per problem so that all of them are shown at once.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


class UsageError(ConfigError):
    """A command-line argument is wrong or missing, or asks for what cannot be done (e.g. an instrument no venue
    lists, `journal why` without the holding, a replay window outside the data); ``problems`` name the option.
    Response: nothing is done, exit 2 (as argparse does for an unknown option)."""


class DataError(HedgebotError):
    """Market or account data is missing or malformed. Response: skip the instrument this cycle."""


class ExchangeError(HedgebotError):
    """Something went wrong talking to a venue. Raised only by the exchange adapter."""


class ExchangeUnavailable(ExchangeError):
    """Network failure, HTTP 5xx or maintenance. Response: reads/cancels retry with backoff; creates do not."""


class RequestTimedOut(ExchangeUnavailable):
    """No answer in time: the request may have been executed. Response: as ExchangeUnavailable."""


class RateLimited(ExchangeError):
    """The venue throttled us. Response: back off; reads retry; a create is never re-sent blindly."""


class ClockSkew(ExchangeError):
    """Our timestamp is outside the venue's receive window. Response: re-sync the time offset, retry once."""


class AuthenticationFailed(ExchangeError):
    """Bad or expired API key, secret or signature. Response: halt."""


class PermissionDenied(ExchangeError):
    """The key is valid but may not do this. Response: halt."""


class VenueUnsupported(ExchangeError):
    """The venue lacks a capability the bot needs. Response: refuse to start."""


class WriteRefused(ExchangeError):
    """A read-only connection (a dry run's) was asked to send a request that changes the venue; it sent nothing.
    Response: a bug in the bot; halt."""


class OrderRejected(ExchangeError):
    """The venue refused an order. Response: journal the rejection; never re-send the same order."""


class PostOnlyWouldTake(OrderRejected):
    """A post-only order would have crossed the book. Response: re-price from a fresh book (bounded)."""


class InsufficientMargin(OrderRejected):
    """Not enough margin or balance for the order. Response: no further increases this cycle; alert."""


class ReduceOnlyRejected(OrderRejected):
    """A reduce-only order found no position to reduce. Response: re-read the position; decide next cycle."""


class InvalidOrderSpec(OrderRejected):
    """Quantity, price or notional broke the market's rules. Response: reload markets; skip the instrument."""


class DuplicateClientOrderId(OrderRejected):
    """The venue already holds an order with this client order id: an earlier attempt landed.

    Response: never send it again; look the order up by its client id and adopt it.
    """


class OrderNotFound(ExchangeError):
    """The venue does not know the order (any more). Response: fetch it by id to learn its final state."""


class AmbiguousOrderOutcome(ExchangeError):
    """An order request failed in a way that leaves its outcome unknown.

    Response: freeze the symbol and look the order up by its client order id before anything else.
    """

    def __init__(self, message: str, *, symbol: str, client_order_id: str) -> None:
        self.symbol = symbol
        self.client_order_id = client_order_id
        super().__init__(message)


class PreflightError(HedgebotError):
    """A start-up check failed. Response: refuse to start with the reason; exit non-zero."""


class ReconciliationError(HedgebotError):
    """The exchange holds a position or order the journal cannot explain. Response: refuse to trade."""


class JournalError(HedgebotError):
    """The journal cannot be written or read. Response: halt; the bot never trades unjournaled."""


class HaltRequested(HedgebotError):
    """The kill switch fired. Response: cancel our resting orders, keep positions, stop."""


class AlertDeliveryFailed(HedgebotError):
    """An alert destination did not take a message. Raised only by alert senders, and handled by the notifier.

    Response: ``retryable`` ones (no answer, HTTP 5xx, 429) are retried with backoff in the background, waiting at
    least ``retry_after`` seconds when the receiver said so; the others (a wrong URL, token or chat) are logged and
    given up. Trading never waits for, or fails because of, an alert. The message never contains a secret.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)


# Causes that pass by themselves: a refusal they caused is retried later (exit 1), never sent to a person. A clock
# the venue refuses is among them: time synchronisation (NTP) usually corrects it within minutes, and a bot kept
# down until someone looks would leave the holdings unhedged all that while; during a run it only pauses trading.
_TRANSIENT = (ExchangeUnavailable, RateLimited, DataError, ClockSkew)
# Refusals that stay until a person acts (exit 4): the key, the venue's account, what the configuration asks of it.
_NEEDS_OPERATOR = (AuthenticationFailed, PermissionDenied, VenueUnsupported, PreflightError, ReconciliationError)


def needs_operator(error: BaseException) -> bool:
    """Whether ``error`` refuses the start until a person acts, rather than until the venue answers again: one of
    the refusals above, not caused (``raise ... from``) by a transient failure anywhere down its chain."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _TRANSIENT):
            return False
        cause = cause.__cause__
    return isinstance(error, _NEEDS_OPERATOR)
