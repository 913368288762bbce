"""Specification of the daily summary schedule: the next UTC time of day, from an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from bot.alerts.schedule import SummarySchedule, next_summary_at
from bot.clock import ManualClock

EIGHT = time(8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 2, 7, 59, tzinfo=UTC), datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), datetime(2026, 3, 3, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 2, 8, 0, 1, tzinfo=UTC), datetime(2026, 3, 3, 8, 0, tzinfo=UTC)),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),
        # 09:30 in UTC+2 is 07:30 UTC: today's summary is still ahead
        (datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),
    ],
)
def test_next_summary_at_when_given_a_moment_then_the_next_utc_occurrence(now: datetime, expected: datetime) -> None:
    assert next_summary_at(now, EIGHT) == expected


def test_next_summary_at_when_time_is_naive_then_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_summary_at(datetime(2026, 3, 2, 7, 0), EIGHT)  # noqa: DTZ001


def test_schedule_when_started_after_todays_time_then_first_due_tomorrow() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    schedule = SummarySchedule(EIGHT, clock)
    assert not schedule.due()
    clock.set(datetime(2026, 3, 3, 7, 59, 59, tzinfo=UTC))
    assert not schedule.due()
    clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    assert schedule.due()


def test_schedule_when_sent_then_due_again_only_the_next_day() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    schedule = SummarySchedule(EIGHT, clock)
    clock.set(datetime(2026, 3, 2, 8, 0, 20, tzinfo=UTC))
    assert schedule.due()
    schedule.sent()
    assert not schedule.due()
    assert schedule.next_due == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_schedule_when_the_process_slept_through_days_then_one_summary_not_one_per_day() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    schedule = SummarySchedule(EIGHT, clock)
    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))
    assert schedule.due()
    schedule.sent()
    assert not schedule.due()
    assert schedule.next_due == datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
