"""When the daily summary is due: the next occurrence of a UTC time of day, from an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.clock import Clock


def next_summary_at(now: datetime, at: time) -> datetime:
    """The first moment strictly after ``now`` whose UTC time of day is ``at``."""
    if now.tzinfo is None:
        raise ValueError("next_summary_at needs a timezone-aware time")
    now = now.astimezone(UTC)
    candidate = datetime.combine(now.date(), at.replace(tzinfo=None), tzinfo=UTC)
    return candidate if candidate > now else candidate + timedelta(days=1)


class SummarySchedule:
    """Says whether the daily summary is due; after sending it, ``sent()`` moves on to the next day's.

    Started after the day's time has passed, the first summary comes the next day. A process that slept through
    several summary times sends one summary, not one per missed day.
    """

    def __init__(self, at: time, clock: Clock) -> None:
        self._at = at
        self._clock = clock
        self._next = next_summary_at(clock.now(), at)

    @property
    def next_due(self) -> datetime:
        return self._next

    def due(self) -> bool:
        return self._clock.now() >= self._next

    def sent(self) -> None:
        self._next = next_summary_at(max(self._clock.now(), self._next), self._at)
