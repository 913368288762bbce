"""Constrained value types for configuration models, with messages that say what is allowed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from bot import limits
from bot.durations import DURATION_FORMS, parse_duration


class StrictModel(BaseModel):
    """Base of every configuration section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _leverage(value: Decimal) -> Decimal:
    if not limits.MIN_LEVERAGE <= value <= limits.MAX_LEVERAGE:
        raise ValueError(
            f"leverage must be between {limits.MIN_LEVERAGE} and {limits.MAX_LEVERAGE} "
            "(a hard limit of the software that no setting can raise)"
        )
    return value


def _hedge_ratio(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= limits.MAX_HEDGE_RATIO:
        raise ValueError(
            f"a hedge ratio must be between 0 and {limits.MAX_HEDGE_RATIO} "
            "(0 = unhedged, 1 = fully hedged; the upper bound is a hard limit)"
        )
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must be 0 or greater")
    return value


def _fraction(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError("must be a fraction between 0 and 1 (e.g. 0.05 for 5%)")
    return value


def _duration(value: object) -> timedelta:
    """Durations in the one grammar of ``bot.durations`` (defaults and parsed values pass through)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str | int | float | Decimal):
        return parse_duration(value)
    raise ValueError(f"{value!r} is not a duration: write {DURATION_FORMS}")


def _positive_duration(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be a positive duration")
    return value


def _non_negative_duration(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("must not be negative")
    return value


def _asset(value: str) -> str:
    cleaned = value.strip().upper()
    if not cleaned or not cleaned.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"{value!r} is not an asset code (e.g. 'SOL', 'BTC')")
    return cleaned


def _perp_symbol(value: str) -> str:
    base, _, rest = value.partition("/")
    quote, _, settle = rest.partition(":")
    if not (base and quote and settle):
        raise ValueError(
            f"{value!r} is not a perpetual symbol: use ccxt's unified form BASE/QUOTE:SETTLE, e.g. 'SOL/USDT:USDT'"
        )
    return value


Leverage = Annotated[Decimal, AfterValidator(_leverage)]
HedgeRatio = Annotated[Decimal, AfterValidator(_hedge_ratio)]
PositiveDecimal = Annotated[Decimal, AfterValidator(_positive)]
NonNegativeDecimal = Annotated[Decimal, AfterValidator(_non_negative)]
Fraction = Annotated[Decimal, AfterValidator(_fraction)]
PositiveDuration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_positive_duration)]
NonNegativeDuration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_non_negative_duration)]
Asset = Annotated[str, AfterValidator(_asset)]
PerpSymbol = Annotated[str, AfterValidator(_perp_symbol)]
