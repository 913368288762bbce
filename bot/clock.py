"""Injected time: a ``Clock`` protocol, the system clock, and a manual clock for tests and replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: deterministic tests and replays."""

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

    def set(self, moment: datetime) -> None:
        if moment < self._now:
            raise ValueError("time does not run backwards")
        self._now = moment


def utc_from_ms(milliseconds: int | float | str) -> datetime:
    """A UTC datetime from epoch milliseconds (exchanges' convention)."""
    return datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
