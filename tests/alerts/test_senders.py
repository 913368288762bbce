"""Specification of one delivery attempt: what counts as delivered, retryable or final, and the reason kept."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.alerts.events import AlertKind, alert_test_event
from bot.alerts.senders import HttpSender, send_once_to_each
from bot.alerts.settings import Destination, DestinationKind
from bot.errors import AlertDeliveryFailed
from tests.alerts.factories import NOON, destination, kill_switch_halt, telegram_destination
from tests.alerts.receiver import HANG, Receiver, Reply


async def attempt(target: Destination, seconds: float = 5) -> None:
    async with aiohttp.ClientSession() as session:
        await HttpSender(target, session, seconds).send(kill_switch_halt())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("reply", "retryable", "retry_after", "reason"),
    [
        (Reply(500, "upstream broke"), True, None, "HTTP 500: upstream broke"),
        (Reply(503, "", {"Retry-After": "7"}), True, 7.0, "HTTP 503: (no reason given)"),
        (Reply(408, "slow"), True, None, "HTTP 408: slow"),
        (Reply(429, {"message": "You are being rate limited.", "retry_after": 0.75}), True, 0.75, "rate limited"),
        (
            Reply(
                429,
                {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": 3}},
            ),
            True,
            3.0,
            "HTTP 429: Too Many Requests",
        ),
        (Reply(404, {"message": "Unknown Webhook", "code": 10015}), False, None, "HTTP 404: Unknown Webhook"),
        (Reply(403, "invalid_token"), False, None, "HTTP 403: invalid_token"),
        (Reply(400, "invalid_payload"), False, None, "HTTP 400: invalid_payload"),
    ],
)
async def test_http_sender_when_receiver_refuses_then_failure_says_retryable_or_final_and_why(
    receiver: Receiver, reply: Reply, retryable: bool, retry_after: float | None, reason: str
) -> None:
    receiver.answer(reply)
    with pytest.raises(AlertDeliveryFailed) as failure:
        await attempt(destination(DestinationKind.WEBHOOK, receiver.url("/hook")))
    assert failure.value.retryable is retryable
    assert failure.value.retry_after == retry_after
    assert reason in str(failure.value)


@pytest.mark.parametrize("status", [200, 201, 204])
async def test_http_sender_when_receiver_answers_2xx_then_delivered(receiver: Receiver, status: int) -> None:
    receiver.answer(Reply(status, ""))
    await attempt(destination(DestinationKind.DISCORD, receiver.url("/api/webhooks/1/abc")))
    assert len(receiver.requests) == 1


async def test_telegram_when_answer_is_not_ok_then_final_failure_with_telegrams_description(
    receiver: Receiver,
) -> None:
    receiver.answer(Reply(200, {"ok": False, "description": "Bad Request: chat not found"}))
    with pytest.raises(AlertDeliveryFailed, match="chat not found") as failure:
        await attempt(telegram_destination(receiver.base_url))
    assert not failure.value.retryable


async def test_http_sender_when_nobody_listens_then_retryable_and_names_only_host_and_port() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/services/T0/B0/sEcReTpAtH"
    with pytest.raises(AlertDeliveryFailed) as failure:
        await attempt(destination(DestinationKind.SLACK, url))
    assert failure.value.retryable
    assert str(failure.value) == f"cannot connect to 127.0.0.1:{port}"


async def test_http_sender_when_receiver_never_answers_then_retryable_after_the_timeout(receiver: Receiver) -> None:
    receiver.answer(HANG)
    with pytest.raises(AlertDeliveryFailed, match=r"no answer within 0\.2s") as failure:
        await attempt(destination(DestinationKind.WEBHOOK, receiver.url("/hook")), seconds=0.2)
    assert failure.value.retryable


async def test_send_once_to_each_when_one_destination_fails_then_each_reported_on_its_own(receiver: Receiver) -> None:
    receiver.answer(Reply(404, {"message": "Unknown Webhook"}))
    good = destination(DestinationKind.WEBHOOK, receiver.url("/good"), name="ops")
    bad = destination(DestinationKind.DISCORD, receiver.url("/api/webhooks/9/gone"), name="chat")
    results = await send_once_to_each((bad, good), alert_test_event(at=NOON), request_timeout=5)
    assert [(r.destination, r.delivered, r.error) for r in results] == [
        ("chat (discord, 127.0.0.1)", False, "HTTP 404: Unknown Webhook"),
        ("ops (webhook, 127.0.0.1)", True, None),
    ]
    assert {r.body["kind"] for r in receiver.requests if isinstance(r.body, dict) and "kind" in r.body} == {
        AlertKind.TEST.value
    }
