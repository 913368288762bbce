"""Specification of the optional apprise destination (``pip install 'hedgebot[apprise]'``); skipped without it.

apprise's own ``json://`` service posts to the local receiver on 127.0.0.1, so the whole path is exercised:
the notifier, the sender in its worker thread, apprise and the HTTP request."""

from __future__ import annotations

import io

import pytest

from bot.alerts.apprise_sender import apprise_installed
from bot.alerts.notifier import alert_notifier
from bot.alerts.settings import DestinationKind
from bot.logging import configure_logging
from tests.alerts.factories import destination, fast_policy, kill_switch_halt, settings
from tests.alerts.receiver import Receiver, Reply

pytestmark = pytest.mark.skipif(not apprise_installed(), reason="the apprise extra is not installed")


def apprise_json_url(receiver: Receiver, path: str) -> str:
    return receiver.url(path).replace("http://", "json://", 1)


async def test_apprise_when_configured_then_the_alert_arrives_through_apprise(receiver: Receiver) -> None:
    more = destination(DestinationKind.APPRISE, apprise_json_url(receiver, "/apprise/AppriseSecretPath"))
    async with alert_notifier(settings(more), fast_policy()) as notifier:
        notifier.notify(kill_switch_halt())
    (request,) = receiver.delivered()
    assert isinstance(request.body, dict)
    assert request.body["title"] == "[CRITICAL] Trading halted"
    assert "kill switch" in str(request.body["message"])
    assert request.body["type"] == "failure"


async def test_apprise_when_the_service_fails_then_retried_and_secrets_kept_out_of_logs(receiver: Receiver) -> None:
    stream = io.StringIO()
    configure_logging("debug", "json", stream)
    receiver.answer(Reply(500, "down"), path="/apprise/AppriseSecretPath")
    more = destination(DestinationKind.APPRISE, apprise_json_url(receiver, "/apprise/AppriseSecretPath"))
    async with alert_notifier(settings(more), fast_policy()) as notifier:
        notifier.notify(kill_switch_halt())
    assert [r.answered for r in receiver.requests] == [500, 200]
    assert "alert.retrying" in stream.getvalue()
    assert "AppriseSecretPath" not in stream.getvalue()
