"""Specification of `hedgebot alert-test`: a test message to every destination, the outcome of each, exit 1 on
any failure, and no secret printed."""

from __future__ import annotations

import json
import socket

import pytest

from bot.cli.main import main
from tests.alerts.factories import TELEGRAM_TOKEN
from tests.alerts.receiver import Receiver, Reply

SIM_VENUE = """
[venues.main]
exchange = "bybit"
mode = "sim"
url = "http://127.0.0.1:8765"
"""


def three_destinations(api_url: str) -> str:
    return (
        SIM_VENUE
        + '[alerts.destinations.ops]\nkind = "webhook"\ncredentials = "OPS"\n'
        + f'[alerts.destinations.phone]\nkind = "telegram"\ncredentials = "TG"\napi_url = "{api_url}"\n'
        + '[alerts.destinations.team]\nkind = "discord"\ncredentials = "TEAM"\n'
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def secrets(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "OPS_URL": receiver.url("/hooks/OpsSecretPath123"),
        "TG_BOT_TOKEN": TELEGRAM_TOKEN,
        "TG_CHAT_ID": "-1009876543210",
        "TEAM_URL": receiver.url("/api/webhooks/42/TeamWebhookTokenXYZ"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_alert_test_when_every_destination_answers_then_each_delivered_and_exit_0(
    receiver: Receiver, secrets: dict[str, str], write_config, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(three_destinations(receiver.base_url))
    assert main(["alert-test", "--config", str(path)]) == 0
    output = capsys.readouterr().out
    for name in ("ops (webhook, 127.0.0.1)", "phone (telegram, 127.0.0.1)", "team (discord, 127.0.0.1)"):
        assert name in output
    assert output.count("delivered") == 3
    kinds = sorted(str(r.path.split("/")[1]) for r in receiver.delivered())
    assert kinds == ["api", f"bot{TELEGRAM_TOKEN}", "hooks"]


def test_alert_test_when_a_destination_fails_then_says_why_exits_1_and_prints_no_secret(
    receiver: Receiver, secrets: dict[str, str], write_config, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    receiver.answer(
        Reply(404, {"message": "Unknown Webhook", "code": 10015}), path="/api/webhooks/42/TeamWebhookTokenXYZ"
    )
    port = closed_port()
    monkeypatch.setenv("OPS_URL", f"http://127.0.0.1:{port}/hooks/OpsSecretPath123")
    path = write_config(three_destinations(receiver.base_url))
    assert main(["alert-test", "--config", str(path), "--json", "--log-level", "debug"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["all_delivered"] is False
    assert [(r["destination"], r["delivered"], r["error"]) for r in report["results"]] == [
        ("ops (webhook, 127.0.0.1)", False, f"cannot connect to 127.0.0.1:{port}"),
        ("phone (telegram, 127.0.0.1)", True, None),
        ("team (discord, 127.0.0.1)", False, "HTTP 404: Unknown Webhook"),
    ]
    assert "alert.failed" in captured.err  # the logs were written, and checked below
    for secret in ("OpsSecretPath123", TELEGRAM_TOKEN, "-1009876543210", "TeamWebhookTokenXYZ"):
        assert secret not in captured.out + captured.err


def test_alert_test_when_no_destination_is_configured_then_says_so_and_exits_2(
    write_config, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alert-test", "--config", str(write_config(SIM_VENUE))]) == 2  # nothing to test: usage
    assert "no alert destinations are configured" in capsys.readouterr().err


def test_alert_test_when_alerts_are_disabled_then_still_sends_and_notes_it(
    receiver: Receiver, secrets: dict[str, str], write_config, capsys: pytest.CaptureFixture[str]
) -> None:
    text = three_destinations(receiver.base_url).replace(SIM_VENUE, SIM_VENUE + "[alerts]\nenabled = false\n")
    assert main(["alert-test", "--config", str(write_config(text))]) == 0
    assert len(receiver.delivered()) == 3
    assert "alerts.enabled = false" in capsys.readouterr().err


def test_alert_test_when_a_secret_is_missing_then_exit_2_naming_the_variable(
    write_config, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPS_URL", raising=False)
    text = SIM_VENUE + '[alerts.destinations.ops]\nkind = "slack"\ncredentials = "OPS"\n'
    assert main(["alert-test", "--config", str(write_config(text))]) == 2
    assert "OPS_URL" in capsys.readouterr().err


def test_alert_test_help_when_asked_then_explains_outcomes_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["alert-test", "--help"])
    text = capsys.readouterr().out
    assert "delivered" in text
    assert "exit codes" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "alert-test" in capsys.readouterr().out
