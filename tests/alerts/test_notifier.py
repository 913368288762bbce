"""Specification of the notifier: never blocks or raises, retries with backoff, one alert per condition until it
clears, a minimum severity, a bounded queue, a bounded close, and no secret in any log line."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.alerts import events
from bot.alerts.events import HALTED_KEY, AlertEvent, Severity
from bot.alerts.notifier import Notifier, RetryPolicy, alert_notifier
from bot.alerts.senders import open_senders
from bot.alerts.settings import AlertSettings, Destination, DestinationKind
from bot.logging import configure_logging
from tests.alerts.factories import (
    NOON,
    TELEGRAM_TOKEN,
    crash_day_summary,
    destination,
    fast_policy,
    kill_switch_halt,
    settings,
    sol_limit_blocked,
    sol_liquidation_close,
    telegram_destination,
)
from tests.alerts.receiver import HANG, Receiver, Reply


class RecordingSender:
    """A sender behind the port that keeps what it was given; ``gate`` (when set) holds every send."""

    def __init__(self, name: str = "ops", gate: asyncio.Event | None = None) -> None:
        self._destination = destination(DestinationKind.WEBHOOK, f"https://hooks.example/{name}/s3cret", name)
        self.sent: list[AlertEvent] = []
        self.gate = gate

    @property
    def destination(self) -> Destination:
        return self._destination

    async def send(self, event: AlertEvent) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append(event)


@pytest.fixture
def log_stream() -> io.StringIO:
    stream = io.StringIO()
    configure_logging("debug", "json", stream)
    return stream


def log_events(stream: io.StringIO, name: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [r for r in records if r["event"] == name]


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def deliver_all(alert_settings: AlertSettings, *notices: AlertEvent, policy: RetryPolicy | None = None) -> None:
    async with alert_notifier(alert_settings, policy or fast_policy()) as notifier:
        for notice in notices:
            notifier.notify(notice)


async def test_notifier_when_receiver_fails_three_times_then_succeeds_then_alert_arrives_exactly_once(
    receiver: Receiver, log_stream: io.StringIO
) -> None:
    receiver.answer(Reply(500, "down"), Reply(502, "bad gateway"), Reply(503, "busy"))
    await deliver_all(settings(destination(DestinationKind.WEBHOOK, receiver.url("/hook"))), kill_switch_halt())
    assert [r.answered for r in receiver.requests] == [500, 502, 503, 200]
    assert len(receiver.delivered()) == 1
    assert [r["attempt"] for r in log_events(log_stream, "alert.retrying")] == [1, 2, 3]
    (delivered,) = log_events(log_stream, "alert.delivered")
    assert delivered["attempts"] == 4


async def test_notifier_when_retrying_then_waits_grow_and_honour_retry_after(receiver: Receiver) -> None:
    receiver.answer(Reply(429, "slow down", {"Retry-After": "0.3"}), Reply(500, "x"), Reply(500, "x"))
    policy = fast_policy(first_wait=0.05, max_wait=1.0)
    await deliver_all(
        settings(destination(DestinationKind.WEBHOOK, receiver.url("/hook"))), kill_switch_halt(), policy=policy
    )
    arrivals = [r.at for r in receiver.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 3
    assert gaps[0] >= 0.3  # the receiver asked for 0.3 s
    assert gaps[2] >= 0.2  # 0.05 doubled twice: backoff grows


async def test_notifier_when_receiver_refuses_for_good_then_no_retry_and_failure_logged(
    receiver: Receiver, log_stream: io.StringIO
) -> None:
    receiver.answer(Reply(404, {"message": "Unknown Webhook"}))
    await deliver_all(
        settings(destination(DestinationKind.DISCORD, receiver.url("/api/webhooks/1/x"))), kill_switch_halt()
    )
    assert len(receiver.requests) == 1
    (failed,) = log_events(log_stream, "alert.failed")
    assert (failed["retryable"], failed["attempts"], failed["error"]) == (False, 1, "HTTP 404: Unknown Webhook")


async def test_notifier_when_attempts_run_out_then_gives_up_after_the_policy_count(receiver: Receiver) -> None:
    receiver.answer(*[Reply(500, "down")] * 10)
    policy = fast_policy(attempts=3)
    await deliver_all(
        settings(destination(DestinationKind.WEBHOOK, receiver.url("/hook"))), kill_switch_halt(), policy=policy
    )
    assert len(receiver.requests) == 3


async def test_notify_when_receiver_never_answers_then_returns_at_once_and_aclose_keeps_its_bound(
    receiver: Receiver, log_stream: io.StringIO
) -> None:
    receiver.answer(HANG)
    policy = fast_policy(request_timeout=30.0)
    hung = destination(DestinationKind.WEBHOOK, receiver.url("/hook"))
    async with open_senders((hung,), policy.request_timeout) as senders:
        notifier = Notifier(settings(hung), senders, policy)
        notifier.start()
        notifier.notify(kill_switch_halt())
        await until(lambda: bool(receiver.requests))  # the sender now waits on a receiver that never answers
        durations = []
        for index in range(15):
            notice = replace(sol_limit_blocked(), key=f"limit:{index}")
            started = time.perf_counter()
            notifier.notify(notice)
            durations.append(time.perf_counter() - started)
        assert statistics.median(durations) < 0.001
        started = time.perf_counter()
        await notifier.aclose(within=0.3)
        assert time.perf_counter() - started < 1.5
    (undelivered,) = log_events(log_stream, "alert.undelivered")
    assert undelivered["count"] == 16


async def test_notifier_when_one_receiver_hangs_then_other_destinations_still_get_alerts(receiver: Receiver) -> None:
    receiver.answer(HANG, path="/hung")
    hung = destination(DestinationKind.WEBHOOK, receiver.url("/hung"), name="hung")
    quick = destination(DestinationKind.SLACK, receiver.url("/quick"), name="quick")
    async with alert_notifier(settings(hung, quick), fast_policy(request_timeout=30.0, close_timeout=0.2)) as notifier:
        notifier.notify(kill_switch_halt())
        await until(lambda: bool(receiver.delivered()))
        assert [r.path for r in receiver.delivered()] == ["/quick"]


async def test_notifier_when_a_condition_repeats_then_one_alert_until_it_clears() -> None:
    sender = RecordingSender()
    async with Notifier(settings(sender.destination), [sender], fast_policy()) as notifier:
        notifier.notify(sol_liquidation_close())
        notifier.notify(sol_liquidation_close())
        assert notifier.active() == {"liquidation_distance:SOL/USDT:USDT"}
        notifier.clear("liquidation_distance:SOL/USDT:USDT")
        notifier.notify(sol_liquidation_close())
    assert len(sender.sent) == 2


async def test_notifier_when_halted_and_resumed_alternate_then_each_change_alerts_once() -> None:
    sender = RecordingSender()
    resume = events.resumed(at=NOON)
    async with Notifier(settings(sender.destination), [sender], fast_policy()) as notifier:
        for notice in (kill_switch_halt(), kill_switch_halt(), resume, resume, kill_switch_halt(), resume):
            notifier.notify(notice)
    assert [e.kind.value for e in sender.sent] == ["halted", "resumed", "halted", "resumed"]


async def test_notifier_when_test_event_repeats_then_never_held_back() -> None:
    sender = RecordingSender()
    async with Notifier(settings(sender.destination), [sender], fast_policy()) as notifier:
        notifier.notify(events.alert_test_event(at=NOON))
        notifier.notify(events.alert_test_event(at=NOON))
    assert len(sender.sent) == 2


@pytest.mark.parametrize(
    ("min_severity", "expected"),
    [
        (Severity.INFO, ["daily_summary", "limit_blocked", "halted"]),
        (Severity.WARNING, ["limit_blocked", "halted"]),
        (Severity.CRITICAL, ["halted"]),
    ],
)
async def test_notifier_when_below_min_severity_then_not_sent(min_severity: Severity, expected: list[str]) -> None:
    sender = RecordingSender()
    async with Notifier(settings(sender.destination, min_severity=min_severity), [sender], fast_policy()) as notifier:
        for notice in (crash_day_summary(), sol_limit_blocked(), kill_switch_halt()):
            notifier.notify(notice)
        assert HALTED_KEY in notifier.active()
        assert ("daily_summary:2026-03-02T08:00" in notifier.active()) is (min_severity is Severity.INFO)
    assert [e.kind.value for e in sender.sent] == expected


async def test_notifier_when_disabled_then_nothing_sent() -> None:
    sender = RecordingSender()
    async with Notifier(settings(sender.destination, enabled=False), [sender], fast_policy()) as notifier:
        notifier.notify(kill_switch_halt())
    assert sender.sent == []


async def test_notifier_when_a_receiver_stalls_then_its_queue_stays_bounded_and_extra_alerts_dropped(
    log_stream: io.StringIO,
) -> None:
    gate = asyncio.Event()
    sender = RecordingSender(gate=gate)
    async with Notifier(settings(sender.destination), [sender], fast_policy(queue_size=3)) as notifier:
        notifier.notify(replace(kill_switch_halt(), key="k0"))
        await asyncio.sleep(0.02)  # the worker takes it and waits at the gate
        for index in range(1, 10):
            notifier.notify(replace(kill_switch_halt(), key=f"k{index}"))
        gate.set()
    assert [e.key for e in sender.sent] == ["k0", "k1", "k2", "k3"]
    assert len(log_events(log_stream, "alert.dropped")) == 6


async def test_notify_when_a_sender_is_broken_then_logged_and_never_raised(log_stream: io.StringIO) -> None:
    class BrokenSender(RecordingSender):
        @property
        def destination(self) -> Destination:
            raise RuntimeError("broken sender")

    broken = BrokenSender()
    notifier = Notifier(settings(), [broken], fast_policy())
    notifier.notify(kill_switch_halt())
    assert len(log_events(log_stream, "alert.notify_failed")) == 1


async def test_notifier_logs_when_deliveries_fail_then_no_url_token_or_chat_id_appears(
    receiver: Receiver, log_stream: io.StringIO
) -> None:
    webhook_path = "/hooks/Zq8sEcReTwEbHoOkPaTh"
    receiver.answer(Reply(500, f"no route for {webhook_path}"), path=webhook_path)
    receiver.answer(
        Reply(401, {"ok": False, "description": f"Unauthorized: token {TELEGRAM_TOKEN} revoked"}),
        path=f"/bot{TELEGRAM_TOKEN}/sendMessage",
    )
    webhook = destination(DestinationKind.WEBHOOK, receiver.url(webhook_path))
    telegram = telegram_destination(receiver.base_url)
    await deliver_all(settings(webhook, telegram), kill_switch_halt(), policy=fast_policy(attempts=2))
    assert len(receiver.requests) == 3  # the webhook twice (500, then 200); Telegram once (401, final)
    assert log_events(log_stream, "alert.retrying")
    assert log_events(log_stream, "alert.failed")
    text = log_stream.getvalue()
    for secret in (webhook_path, TELEGRAM_TOKEN, "Zq8sEcReTwEbHoOkPaTh", "-1009876543210", receiver.url(webhook_path)):
        assert secret not in text
