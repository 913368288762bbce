"""Senders: one delivery attempt of one alert to one destination; a failure is an ``AlertDeliveryFailed``.

Webhook, Telegram, Discord and Slack are native (one JSON POST over aiohttp, the body from ``formats``); the
``apprise`` kind is the optional extra in ``apprise_sender``. A sender never retries: the notifier does. What
counts as delivered: any 2xx answer (Telegram: also ``"ok": true``). Retryable: no answer, a connection
failure, HTTP 408, 429 and 5xx (with the receiver's ``Retry-After`` or ``retry_after`` kept). Final: any other
answer, e.g. 401/403/404 for a wrong token, URL or chat. Error messages never contain a URL or a token.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import structlog

from bot.alerts.events import AlertEvent
from bot.alerts.formats import JsonObject, discord_payload, slack_payload, telegram_payload, webhook_payload
from bot.alerts.settings import Destination, DestinationKind
from bot.errors import AlertDeliveryFailed
from bot.logging import redact_text, register_secrets

log = structlog.get_logger(__name__)

_MAX_ERROR_BODY = 2048  # bytes of an error answer read, to quote its reason
_MAX_ERROR_TEXT = 200  # characters of it quoted


class Sender(Protocol):
    """Delivers one alert once. Raises ``AlertDeliveryFailed`` (and nothing else) when it did not arrive."""

    @property
    def destination(self) -> Destination: ...

    async def send(self, event: AlertEvent) -> None: ...


class HttpSender:
    """A JSON POST to the destination's URL, in the body format of its kind."""

    def __init__(self, destination: Destination, session: aiohttp.ClientSession, timeout: float) -> None:
        self._destination = destination
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._payload = _payload_builder(destination)

    @property
    def destination(self) -> Destination:
        return self._destination

    async def send(self, event: AlertEvent) -> None:
        body = self._payload(event)
        url = self._destination.url.get_secret_value()
        # Chained exceptions are dropped on purpose below: aiohttp's own messages quote the request URL.
        try:
            async with self._session.post(url, json=body, timeout=self._timeout) as response:
                await _check(response, self._destination.kind)
        except AlertDeliveryFailed:
            raise
        except TimeoutError:
            raise AlertDeliveryFailed(f"no answer within {self._timeout.total:g}s", retryable=True) from None
        except aiohttp.ClientConnectorError as exc:
            raise AlertDeliveryFailed(f"cannot connect to {exc.host}:{exc.port}", retryable=True) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise AlertDeliveryFailed(f"the request failed ({type(exc).__name__})", retryable=True) from None


def _payload_builder(destination: Destination) -> Callable[[AlertEvent], JsonObject]:
    kind = destination.kind
    if kind is DestinationKind.TELEGRAM:
        if destination.chat_id is None:
            raise ValueError(f"destination {destination.name!r}: telegram needs a chat id")
        chat_id = destination.chat_id.get_secret_value()
        return lambda event: telegram_payload(event, chat_id)
    builders = {
        DestinationKind.WEBHOOK: webhook_payload,
        DestinationKind.DISCORD: discord_payload,
        DestinationKind.SLACK: slack_payload,
    }
    if kind not in builders:
        raise ValueError(f"destination {destination.name!r}: {kind.value} is not sent over plain HTTP")
    return builders[kind]


async def _check(response: aiohttp.ClientResponse, kind: DestinationKind) -> None:
    status = response.status
    raw = await response.content.read(_MAX_ERROR_BODY)
    answer = _json_object(raw)
    if 200 <= status < 300:
        if kind is DestinationKind.TELEGRAM and answer.get("ok") is not True:
            raise AlertDeliveryFailed(f"Telegram did not confirm: {_reason(raw, answer)}", retryable=False)
        return
    retryable = status in (408, 429) or status >= 500
    raise AlertDeliveryFailed(
        f"HTTP {status}: {_reason(raw, answer)}", retryable=retryable, retry_after=_retry_after(response, answer)
    )


def _json_object(raw: bytes) -> Mapping[str, object]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _reason(raw: bytes, answer: Mapping[str, object]) -> str:
    """The receiver's own words: Telegram's ``description``, Discord's ``message``, else the start of the body."""
    for key in ("description", "message", "error"):
        if isinstance(answer.get(key), str):
            return _quote(str(answer[key]))
    text = raw.decode("utf-8", errors="replace")
    return _quote(text) if text.strip() else "(no reason given)"


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return redact_text(flat[:_MAX_ERROR_TEXT])


def _retry_after(response: aiohttp.ClientResponse, answer: Mapping[str, object]) -> float | None:
    """Seconds the receiver asked us to wait: the Retry-After header, Discord's ``retry_after``, or Telegram's
    ``parameters.retry_after``."""
    parameters = answer.get("parameters")
    candidates = [
        response.headers.get("Retry-After"),
        answer.get("retry_after"),
        parameters.get("retry_after") if isinstance(parameters, dict) else None,
    ]
    for candidate in candidates:
        if isinstance(candidate, int | float | str):
            try:
                seconds = float(candidate)
            except ValueError:
                continue
            if seconds >= 0:
                return seconds
    return None


def build_sender(destination: Destination, session: aiohttp.ClientSession, timeout: float) -> Sender:
    """The sender for a destination's kind. Registers the destination's secrets with the log redactor first."""
    register_secrets(destination.secret_values())
    if destination.kind is DestinationKind.APPRISE:
        from bot.alerts.apprise_sender import AppriseSender  # the optional extra, imported only when configured

        return AppriseSender(destination, timeout)
    return HttpSender(destination, session, timeout)


@asynccontextmanager
async def open_senders(
    destinations: tuple[Destination, ...], request_timeout: float
) -> AsyncIterator[tuple[Sender, ...]]:
    """One sender per destination over one shared HTTP session, closed on exit; each attempt is bounded by
    ``request_timeout`` seconds."""
    async with aiohttp.ClientSession() as session:
        yield tuple(build_sender(d, session, request_timeout) for d in destinations)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    destination: str  # as ``Destination.shown``: name, kind and host, no secret
    delivered: bool
    error: str | None  # why not, when not delivered


async def send_once_to_each(
    destinations: tuple[Destination, ...], event: AlertEvent, request_timeout: float
) -> tuple[DeliveryResult, ...]:
    """One attempt per destination, all at once, no retries: for ``hedgebot alert-test``."""
    async with open_senders(destinations, request_timeout) as senders:
        return tuple(await asyncio.gather(*(_attempt(sender, event) for sender in senders)))


async def _attempt(sender: Sender, event: AlertEvent) -> DeliveryResult:
    shown = sender.destination.shown
    try:
        await sender.send(event)
    except AlertDeliveryFailed as exc:
        log.warning("alert.failed", destination=shown, alert=event.kind.value, attempts=1, error=str(exc))
        return DeliveryResult(shown, delivered=False, error=str(exc))
    log.info("alert.delivered", destination=shown, alert=event.kind.value, attempts=1)
    return DeliveryResult(shown, delivered=True, error=None)
