"""The seam between the running bot and its alerts: an ``AlertSink`` takes events and returns at once.

The notifier (``bot.alerts.notifier.Notifier``) is one: it queues for background delivery and never blocks, so a
cycle that tells a sink something never waits for a receiver. ``NoAlerts`` is the sink of a run without alerts.
"""

from __future__ import annotations

from typing import Protocol

from bot.alerts.events import AlertEvent


class AlertSink(Protocol):
    def notify(self, event: AlertEvent) -> None:
        """Send ``event`` (once per condition key until it clears); returns at once and never raises."""
        ...

    def clear(self, key: str) -> None:
        """The condition ``key`` has ended: its next occurrence alerts again."""
        ...


class NoAlerts:
    """The sink of a run with no alerts configured (or of a test that does not look at them): takes nothing."""

    def notify(self, event: AlertEvent) -> None:
        return None

    def clear(self, key: str) -> None:
        return None
