"""The notifier: ``notify()`` filters, deduplicates and enqueues at once; background workers deliver.

Rules, in order, for each ``notify(event)``:
1. the conditions the event ``clears`` are released (they may alert again);
2. nothing is sent while alerts are disabled, after ``aclose()``, or below ``min_severity``;
3. an event whose ``key`` is already active is held back: one alert per condition until ``clear(key)``;
4. the event is queued for every destination; a full queue (a receiver down for long) drops it, logged.
``notify`` never blocks, never awaits and never raises: a trading decision never waits for an alert.

With a ``ConditionStore`` (the bot's journal), the active conditions outlive the process: the notifier starts with
the ones the store holds open, and records each condition it opens (rule 3) and each it clears, so a restart during
an ongoing condition does not alert it again. A failure to record is logged, never raised.

Each destination has its own queue and worker, so a dead receiver delays no other. A worker tries each alert up
to ``RetryPolicy.attempts`` times with exponential backoff and jitter (at least the receiver's ``Retry-After``,
at most ``max_wait``); final failures (a wrong URL or token) are not retried. Every attempt and outcome is logged
(``alert.*``) with the destination's name, kind and host only, never its URL or token. ``aclose()`` lets the
workers finish for a bounded time, then stops them and logs what was left undelivered.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.alerts.events import AlertEvent
from bot.alerts.senders import Sender, open_senders
from bot.alerts.settings import AlertSettings
from bot.errors import AlertDeliveryFailed

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the notifier tries. Not configuration: these bounds suit every destination."""

    attempts: int = 6  # per alert and destination, the first included
    first_wait: float = 1.0  # seconds before the first retry; doubling after each
    max_wait: float = 60.0  # the longest wait between attempts, a receiver's Retry-After included
    request_timeout: float = 10.0  # seconds one attempt may take
    queue_size: int = 100  # alerts waiting per destination; more are dropped
    close_timeout: float = 5.0  # how long aclose() lets the workers finish


class OpenCondition(Protocol):
    @property
    def key(self) -> str: ...


class ConditionStore(Protocol):
    """Where the notifier keeps the conditions it alerted and has not cleared (``bot.journal.Journal``)."""

    def open_alert_conditions(self) -> Sequence[OpenCondition]:
        """The conditions alerted and not cleared, as last recorded."""
        ...

    def record_alert_condition(self, key: str, kind: str | None) -> None:
        """The condition ``key`` alerted (``kind``: the alert's) or, ``kind`` None, cleared."""
        ...


@dataclass(slots=True)
class _Lane:
    sender: Sender
    queue: asyncio.Queue[AlertEvent]
    in_flight: AlertEvent | None = None
    task: asyncio.Task[None] | None = field(default=None)


class Notifier:
    """Call ``notify`` from the event loop's thread; ``start()`` (or ``async with``) runs the workers."""

    def __init__(
        self,
        settings: AlertSettings,
        senders: Sequence[Sender],
        policy: RetryPolicy | None = None,
        conditions: ConditionStore | None = None,
    ) -> None:
        self._settings = settings
        self._policy = policy or RetryPolicy()
        self._lanes = [_Lane(sender, asyncio.Queue(maxsize=self._policy.queue_size)) for sender in senders]
        self._conditions = conditions  # None: the active conditions live as long as the process
        self._active: set[str] = {c.key for c in conditions.open_alert_conditions()} if conditions else set()
        self._closed = False

    async def __aenter__(self) -> Notifier:
        self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def start(self) -> None:
        for lane in self._lanes:
            if lane.task is None:
                lane.task = asyncio.get_running_loop().create_task(self._work(lane), name="alert-worker")

    def notify(self, event: AlertEvent) -> None:
        try:
            self._notify(event)
        except Exception:  # alerting must never disturb the caller; the failure is logged with its traceback
            log.exception("alert.notify_failed", alert=repr(event)[:200])

    def clear(self, key: str) -> None:
        """The condition ``key`` has ended: its next occurrence alerts again."""
        if key in self._active:
            self._active.discard(key)
            log.info("alert.cleared", key=key)
            self._record(key, None)

    def active(self) -> frozenset[str]:
        """The conditions alerted and not yet cleared."""
        return frozenset(self._active)

    def _notify(self, event: AlertEvent) -> None:
        for key in event.clears:
            self.clear(key)
        about = {"alert": event.kind.value, "severity": event.severity.value, "key": event.key}
        if not self._settings.enabled or self._closed:
            log.debug("alert.not_sent", reason="disabled" if not self._settings.enabled else "closed", **about)
            return
        if event.severity < self._settings.min_severity:
            log.debug("alert.filtered", min_severity=self._settings.min_severity.value, **about)
            return
        if event.key is not None:
            if event.key in self._active:
                log.debug("alert.suppressed", reason="condition already alerted", **about)
                return
            self._active.add(event.key)
        for lane in self._lanes:
            destination = lane.sender.destination.shown
            try:
                lane.queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("alert.dropped", destination=destination, reason="queue full", **about)
                continue
            log.info("alert.queued", destination=destination, **about)
        if event.key is not None:
            self._record(event.key, event.kind.value)

    def _record(self, key: str, kind: str | None) -> None:
        """The condition ``key`` opened (``kind``) or cleared (None), in the store if there is one."""
        if self._conditions is None:
            return
        try:
            self._conditions.record_alert_condition(key, kind)
        except Exception:  # the alert still goes; after a restart the condition may alert once more
            log.exception("alert.condition_not_recorded", key=key, opened=kind is not None)

    async def _work(self, lane: _Lane) -> None:
        while True:
            event = await lane.queue.get()
            lane.in_flight = event
            try:
                await self._deliver(lane.sender, event)
            except Exception:  # a sender bug must not end the worker; logged with its traceback
                log.exception("alert.failed", destination=lane.sender.destination.shown, alert=event.kind.value)
            finally:
                lane.in_flight = None
                lane.queue.task_done()

    async def _deliver(self, sender: Sender, event: AlertEvent) -> None:
        about = {"destination": sender.destination.shown, "alert": event.kind.value, "key": event.key}
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: isinstance(exc, AlertDeliveryFailed) and exc.retryable),
            before_sleep=lambda state: log.warning(
                "alert.retrying",
                attempt=state.attempt_number,
                wait_seconds=round(state.next_action.sleep if state.next_action else 0.0, 3),
                error=str(state.outcome.exception()) if state.outcome else None,
                **about,
            ),
            reraise=True,
        )
        attempt_number = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempt_number = attempt.retry_state.attempt_number
                    log.debug("alert.attempt", attempt=attempt_number, **about)
                    await sender.send(event)
        except AlertDeliveryFailed as exc:
            log.error("alert.failed", attempts=attempt_number, error=str(exc), retryable=exc.retryable, **about)
            return
        log.info("alert.delivered", attempts=attempt_number, **about)

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter: ``first_wait`` doubling per attempt plus up to ``first_wait`` at random;
        at least what the receiver asked for, at most ``max_wait``."""
        policy = self._policy
        backoff = policy.first_wait * 2.0 ** (state.attempt_number - 1) + random.uniform(0, policy.first_wait)
        failure = state.outcome.exception() if state.outcome else None
        asked = failure.retry_after if isinstance(failure, AlertDeliveryFailed) and failure.retry_after else 0.0
        return min(policy.max_wait, max(backoff, asked))

    async def aclose(self, within: float | None = None) -> None:
        """Stop taking alerts, let the workers deliver for at most ``within`` seconds (default
        ``RetryPolicy.close_timeout``), then stop them and log what was left undelivered."""
        if self._closed:
            return
        self._closed = True
        bound = self._policy.close_timeout if within is None else within
        running = [lane.task for lane in self._lanes if lane.task is not None]
        if running:
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(lane.queue.join() for lane in self._lanes)), bound)
        for lane in self._lanes:
            left = lane.queue.qsize() + (lane.in_flight is not None)
            if left:
                log.warning("alert.undelivered", destination=lane.sender.destination.shown, count=left)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        log.debug("alert.closed")


@asynccontextmanager
async def alert_notifier(
    settings: AlertSettings, policy: RetryPolicy | None = None, conditions: ConditionStore | None = None
) -> AsyncIterator[Notifier]:
    """A running notifier over the configured destinations (its open conditions kept in ``conditions``, if given);
    flushed (for a bounded time) and closed on exit."""
    policy = policy or RetryPolicy()
    destinations = settings.destinations if settings.enabled else ()
    async with (
        open_senders(destinations, policy.request_timeout) as senders,
        Notifier(settings, senders, policy, conditions) as notifier,
    ):
        yield notifier
