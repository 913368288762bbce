"""Constrained value types for configuration models, with messages that say what is allowed."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from bot import limits
from bot.durations import DURATION_FORMS, parse_duration

# No setting is anywhere near this large (a trillion coins, a quadrillion USDT): beyond it a number is a typo or
# an overflow ("1e400"), and would switch a limit off in effect.
MAX_NUMBER = Decimal("1e15")


class StrictModel(BaseModel):
    """Base of every configuration section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _number(value: object) -> object:
    """Before any numeric check: ``true``/``false`` are not numbers (TOML and JSON booleans would pass as 1/0)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite() or abs(value) > MAX_NUMBER:
        raise ValueError(f"must be a finite number of at most {MAX_NUMBER:,.0f}")
    return value


def _finite_option(value: str | int | float | bool) -> str | int | float | bool:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


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


def _file_path(value: Path) -> Path:
    """A file the bot reads or writes: named, without NUL bytes, and not an existing directory."""
    text = str(value)
    if text in ("", ".") or "\x00" in text:
        raise ValueError("must name a file, e.g. 'hedgebot.halt'")
    if value.is_dir():
        raise ValueError(f"{text} is a directory: name a file in it, e.g. '{value / 'hedgebot.halt'}'")
    return value


def _http_url(value: str) -> str:
    """An http(s) URL with a host (and a valid port, if any); no spaces or control characters."""
    problem = f"{value!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:8765"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(problem)
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise ValueError(problem)
    return value


def _name(value: str) -> str:
    """A table name chosen by the user (a venue, an alert destination): letters, digits, - and _."""
    if not value or not value.replace("-", "").replace("_", "").isalnum() or not value.isascii() or "__" in value:
        raise ValueError(f"{value!r}: use letters, digits, '-' and single '_' (it appears in HEDGEBOT_* names)")
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


Number = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_finite)]
Count = Annotated[int, BeforeValidator(_number)]  # a whole number; give its bounds with Field(ge=..., le=...)
Leverage = Annotated[Number, AfterValidator(_leverage)]
HedgeRatio = Annotated[Number, AfterValidator(_hedge_ratio)]
PositiveDecimal = Annotated[Number, AfterValidator(_positive)]
NonNegativeDecimal = Annotated[Number, AfterValidator(_non_negative)]
Fraction = Annotated[Number, AfterValidator(_fraction)]
FilePath = Annotated[Path, AfterValidator(_file_path)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Name = Annotated[str, AfterValidator(_name)]
OptionValue = Annotated[str | int | float | bool, AfterValidator(_finite_option)]  # passed to ccxt unchanged
PositiveDuration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_positive_duration)]
NonNegativeDuration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_non_negative_duration)]
Asset = Annotated[str, AfterValidator(_asset)]
PerpSymbol = Annotated[str, AfterValidator(_perp_symbol)]
