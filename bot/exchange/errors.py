"""The one table translating ccxt exceptions into ours, most specific first, with the request's details attached.

A row matches a ccxt exception class, optionally narrowed to one venue's error codes or message phrases (for the
answers ccxt maps too broadly, e.g. Bybit 110017 "reduce-only rule not satisfied" arrives as a plain
``InvalidOrder``). Those venue rows come from each venue's row of the quirks table (``VenueQuirks.errors``), ahead
of ccxt's own classes; so do the "not modified" answers (``VenueQuirks.not_modified``). ``ours`` is what the failure means for any request; ``on_create`` overrides it when the request
was an order creation, where every answer that does not prove the order was refused is ambiguous: the caller must
look the order up by its client id before anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import ccxt.async_support as ccxt

from bot.domain import Side
from bot.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    ClockSkew,
    DuplicateClientOrderId,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientMargin,
    InvalidOrderSpec,
    OrderNotFound,
    OrderRejected,
    PermissionDenied,
    PostOnlyWouldTake,
    RateLimited,
    RequestTimedOut,
    VenueUnsupported,
)
from bot.exchange.port import OrderRequest
from bot.exchange.quirks import QUIRKS, VenueError
from bot.logging import redact_text


@dataclass(frozen=True, slots=True)
class Rule:
    ccxt_error: type[Exception]
    ours: type[ExchangeError]
    on_create: type[ExchangeError] | None = None  # the meaning when the request created an order, if different
    venue: str | None = None  # only for this exchange (quirks name: bybit, binance, okx)
    codes: frozenset[str] = frozenset()  # any of these venue error codes in the reply
    phrases: tuple[str, ...] = ()  # or any of these phrases in the venue's message


def _venue_rule(venue: str, row: VenueError) -> Rule:
    ccxt_error = ccxt.BaseError if row.any_failure else ccxt.ExchangeError
    return Rule(ccxt_error, row.ours, row.on_create, venue=venue, codes=row.codes, phrases=row.phrases)


_AMBIGUOUS = AmbiguousOrderOutcome

RULES: tuple[Rule, ...] = (
    # -- venue answers ccxt maps too broadly (or not at all): each venue's rows of the quirks table --------------
    *(_venue_rule(quirks.exchange, row) for quirks in QUIRKS.values() for row in quirks.errors),
    # -- ccxt's own classes, most specific first ------------------------------------------------------------------
    Rule(ccxt.DuplicateOrderId, DuplicateClientOrderId),
    Rule(ccxt.OrderImmediatelyFillable, PostOnlyWouldTake),
    Rule(ccxt.OrderNotFound, OrderNotFound),
    Rule(ccxt.InsufficientFunds, InsufficientMargin),
    Rule(ccxt.InvalidNonce, ClockSkew),
    Rule(ccxt.RateLimitExceeded, RateLimited),
    Rule(ccxt.DDoSProtection, RateLimited),
    Rule(ccxt.RequestTimeout, RequestTimedOut, _AMBIGUOUS),
    Rule(ccxt.NetworkError, ExchangeUnavailable, _AMBIGUOUS),  # connection reset, HTTP 5xx, maintenance
    Rule(ccxt.OperationFailed, ExchangeUnavailable, _AMBIGUOUS),  # garbled or empty replies
    Rule(ccxt.PermissionDenied, PermissionDenied),
    Rule(ccxt.AccountSuspended, PermissionDenied),
    Rule(ccxt.AuthenticationError, AuthenticationFailed),
    Rule(ccxt.NotSupported, VenueUnsupported),
    Rule(ccxt.InvalidOrder, InvalidOrderSpec),
    Rule(ccxt.BadRequest, ExchangeError, InvalidOrderSpec),  # includes BadSymbol
    Rule(ccxt.ArgumentsRequired, ExchangeError, InvalidOrderSpec),
    Rule(ccxt.OperationRejected, ExchangeError, OrderRejected),
    Rule(ccxt.BaseError, ExchangeError, _AMBIGUOUS),  # unknown: fail closed
)

_CODE = re.compile(r'"(?:retCode|ret_code|code|sCode)"\s*:\s*"?(-?\d+)"?')


@dataclass(frozen=True, slots=True)
class Call:
    """What a request was doing: named in every translated error; ``creates_order`` selects ``on_create``."""

    operation: str
    symbol: str | None = None
    side: Side | None = None
    amount: Decimal | None = None
    price: Decimal | None = None
    client_order_id: str | None = None
    order_id: str | None = None
    creates_order: bool = False

    @classmethod
    def placing(cls, request: OrderRequest) -> Call:
        """The call that sends ``request``: an order creation (``on_create``: never retried blindly)."""
        return cls(
            "place_order", request.symbol, request.side, request.amount, request.price,
            client_order_id=request.client_order_id, creates_order=True,
        )  # fmt: skip

    def describe(self) -> str:
        parts = [self.operation]
        if self.side is not None:
            parts.append(self.side.value)
        if self.amount is not None:
            parts.append(str(self.amount))
        if self.symbol is not None:
            parts.append(self.symbol)
        if self.price is not None:
            parts.append(f"@ {self.price}")
        if self.client_order_id is not None:
            parts.append(f"client id {self.client_order_id}")
        if self.order_id is not None:
            parts.append(f"order id {self.order_id}")
        return " ".join(parts)


def venue_codes(message: str) -> frozenset[str]:
    """Error codes quoted in a venue reply that ccxt put into an exception message."""
    return frozenset(_CODE.findall(message))


def matching_rule(exc: Exception, venue: str) -> Rule | None:
    message = str(exc)
    codes = venue_codes(message)
    for rule in RULES:
        if not isinstance(exc, rule.ccxt_error):
            continue
        if rule.venue is not None and rule.venue != venue:
            continue
        if (rule.codes or rule.phrases) and not (
            rule.codes & codes or any(phrase in message for phrase in rule.phrases)
        ):
            continue
        return rule
    return None


def translate(exc: Exception, venue: str, call: Call) -> ExchangeError:
    """Our exception for a ccxt exception; anything else raised while creating an order is ambiguous."""
    rule = matching_rule(exc, venue)
    if rule is None:
        ours: type[ExchangeError] = AmbiguousOrderOutcome if call.creates_order else ExchangeError
    else:
        ours = rule.on_create if call.creates_order and rule.on_create is not None else rule.ours
    message = f"{venue}: {call.describe()}: {type(exc).__name__}: {redact_text(str(exc))}"
    if ours is AmbiguousOrderOutcome:
        return AmbiguousOrderOutcome(
            f"{message} (the order may exist: look it up by client id)",
            symbol=call.symbol or "",
            client_order_id=call.client_order_id or "",
        )
    return ours(message)


def is_not_modified(exc: Exception, venue: str) -> bool:
    """A settings change answered "not modified" (already set): the caller treats it as success."""
    if isinstance(exc, ccxt.NoChange):
        return True
    quirks = QUIRKS.get(venue)
    return (
        isinstance(exc, ccxt.ExchangeError) and quirks is not None and bool(venue_codes(str(exc)) & quirks.not_modified)
    )
