"""The exchange's time: a ``Clock`` protocol, the system clock, a manual clock, and epoch-millisecond helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the simulator needs of a clock: the current time. Any object with ``now()`` fits, so a test can share
    one manual clock between the simulator and a client."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The machine's clock: a served exchange (``hedgebot sim``) runs in real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (``advance``): deterministic tests and replays."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time does not run backwards")
        self._now += delta
        return self._now


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds, Bybit's unit of time."""
    return int(moment.timestamp() * 1000)


def utc_from_ms(milliseconds: int) -> datetime:
    """The UTC time of epoch milliseconds."""
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
