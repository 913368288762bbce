"""The one grammar for durations, shared by the configuration and the command line (pure).

A duration is written as one of:

- a number of seconds: ``30``, ``0.5`` (a TOML number or a string of one);
- a number and a unit, ``s``, ``m``, ``h`` or ``d``: ``90s``, ``30m``, ``1.5h``, ``2d``;
- ISO 8601: ``PT6H``, ``PT1H30M``, ``P2D``, ``P1DT12H``.

Durations are never negative, and never longer than a hundred years; a key or option may ask for more (a positive
interval).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

DURATION_FORMS = "seconds (30), a number and a unit s/m/h/d (90s, 30m, 1.5h, 2d) or ISO 8601 (PT6H)"

_NUMBER = r"\d+(?:\.\d+)?"
_WITH_UNIT = re.compile(rf"^({_NUMBER})\s*([smhd])?$")
_ISO = re.compile(rf"^P(?:({_NUMBER})D)?(?:T(?:({_NUMBER})H)?(?:({_NUMBER})M)?(?:({_NUMBER})S)?)?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ISO_UNIT_SECONDS = (86400, 3600, 60, 1)  # D, then H, M, S after the T
MAX_DURATION = timedelta(days=36500)  # longer is a typo, and overflows the dates it is added to


def parse_duration(value: str | int | float | Decimal) -> timedelta:
    """The duration ``value`` denotes. Raises ``ValueError`` naming the accepted forms."""
    seconds = _seconds(value)
    if seconds is None or not seconds.is_finite() or seconds < 0:
        raise ValueError(f"{value!r} is not a duration: write {DURATION_FORMS}")
    if seconds > Decimal(MAX_DURATION.days * 86400):
        raise ValueError(f"{value!r} is too long a duration: at most {MAX_DURATION.days} days")
    return timedelta(microseconds=int((seconds * 1_000_000).to_integral_value()))


def _seconds(value: str | int | float | Decimal) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    text = value.strip()
    if match := _WITH_UNIT.match(text):
        return Decimal(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    match = _ISO.match(text)
    if match is None or not any(match.groups()) or text.endswith("T"):
        return None
    return sum(
        (Decimal(part) * unit for part, unit in zip(match.groups(), _ISO_UNIT_SECONDS, strict=True) if part),
        Decimal(0),
    )


def format_duration(duration: timedelta) -> str:
    """``duration`` written the way this grammar reads it, in the largest unit that keeps it whole: 30s, 2m, 6h, 2d
    (fractions of a second as seconds: 0.5s)."""
    seconds = Decimal(str(duration.total_seconds()))
    for unit in ("d", "h", "m"):
        count = seconds / _UNIT_SECONDS[unit]
        if count >= 1 and count == count.to_integral_value():
            return f"{count.to_integral_value()}{unit}"
    return f"{seconds.normalize():f}s"
