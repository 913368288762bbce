"""Specification of the message formats: each destination kind's documented body, received over HTTP on
127.0.0.1, and the limits and escaping each service imposes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import aiohttp
import pytest

from bot.alerts.events import AlertField, Unit
from bot.alerts.formats import discord_payload, shown_value, slack_payload, telegram_payload, webhook_payload
from bot.alerts.senders import HttpSender
from bot.alerts.settings import Destination, DestinationKind
from tests.alerts.factories import (
    CHAT_ID,
    TELEGRAM_TOKEN,
    crash_day_summary,
    destination,
    sol_limit_blocked,
    sol_liquidation_close,
    telegram_destination,
)
from tests.alerts.receiver import Receiver

D = Decimal


async def received_body(receiver: Receiver, target: Destination) -> object:
    async with aiohttp.ClientSession() as session:
        await HttpSender(target, session, timeout=5).send(sol_liquidation_close())
    (request,) = receiver.requests
    return request.body


async def test_webhook_when_sent_then_our_json_document_with_exact_figures(receiver: Receiver) -> None:
    body = await received_body(receiver, destination(DestinationKind.WEBHOOK, receiver.url("/hooks/alerts")))
    assert body == {
        "schema": "hedgebot.alert/1",
        "source": "hedgebot",
        "kind": "liquidation_distance_low",
        "severity": "critical",
        "key": "liquidation_distance:SOL/USDT:USDT",
        "title": "The SOL/USDT:USDT hedge is close to liquidation",
        "text": "The mark price is nearer the short's liquidation price than alerts.liquidation_distance_warning.",
        "time": "2026-03-02T12:00:00+00:00",
        "fields": [
            {"name": "symbol", "value": "SOL/USDT:USDT", "unit": "plain", "shown": "SOL/USDT:USDT"},
            {"name": "distance", "value": "0.21", "unit": "fraction", "shown": "21.0%"},
            {"name": "warning level", "value": "0.40", "unit": "fraction", "shown": "40.0%"},
            {"name": "liquidation price", "value": "182.5", "unit": "plain", "shown": "182.5"},
            {"name": "mark price", "value": "150.8", "unit": "plain", "shown": "150.8"},
        ],
    }


async def test_telegram_when_sent_then_send_message_with_chat_id_and_html_text(receiver: Receiver) -> None:
    body = await received_body(receiver, telegram_destination(receiver.base_url))
    assert receiver.requests[0].path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert body == {
        "chat_id": CHAT_ID,
        "text": "<b>[CRITICAL] The SOL/USDT:USDT hedge is close to liquidation</b>\n"
        "The mark price is nearer the short's liquidation price than alerts.liquidation_distance_warning.\n"
        "symbol: <code>SOL/USDT:USDT</code>\n"
        "distance: <code>21.0%</code>\n"
        "warning level: <code>40.0%</code>\n"
        "liquidation price: <code>182.5</code>\n"
        "mark price: <code>150.8</code>",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }


async def test_discord_when_sent_then_one_embed_coloured_by_severity_and_no_mentions(receiver: Receiver) -> None:
    body = await received_body(receiver, destination(DestinationKind.DISCORD, receiver.url("/api/webhooks/1/t0k")))
    assert isinstance(body, dict)
    assert body["username"] == "hedgebot"
    assert body["allowed_mentions"] == {"parse": []}
    (embed,) = body["embeds"]
    assert embed["title"] == "[CRITICAL] The SOL/USDT:USDT hedge is close to liquidation"
    assert embed["color"] == 0xE74C3C
    assert embed["timestamp"] == "2026-03-02T12:00:00+00:00"
    assert embed["fields"][1] == {"name": "distance", "value": "21.0%", "inline": True}
    assert "content" not in body


async def test_slack_when_sent_then_fallback_text_and_header_section_fields_blocks(receiver: Receiver) -> None:
    body = await received_body(receiver, destination(DestinationKind.SLACK, receiver.url("/services/T1/B2/x")))
    assert isinstance(body, dict)
    assert body["text"].startswith("[CRITICAL] The SOL/USDT:USDT hedge is close to liquidation\n")
    header, section, figures = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "[CRITICAL] The SOL/USDT:USDT hedge is close to liquidation"},
    }
    assert section["type"] == "section"
    assert section["text"]["type"] == "mrkdwn"
    assert figures["fields"][1] == {"type": "mrkdwn", "text": "*distance*\n21.0%"}


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        (AlertField("holdings value", D("48210.554"), Unit.USDT), "48,210.55 USDT"),
        (AlertField("funding", D("-12.3375"), Unit.USDT), "-12.34 USDT"),
        (AlertField("hedge ratio", D("0.7498"), Unit.FRACTION), "75.0%"),
        (AlertField("mark", D("1.5E+2")), "150"),
        (AlertField("rejections in a row", 4), "4"),
        (AlertField("spot leg PnL", None, Unit.USDT), "unknown"),
    ],
)
def test_shown_value_when_a_figure_has_a_unit_then_read_as_a_person_would(field: AlertField, shown: str) -> None:
    assert shown_value(field) == shown


def test_daily_summary_when_formatted_then_every_figure_in_every_format() -> None:
    summary = crash_day_summary()
    telegram_text = telegram_payload(summary, CHAT_ID)["text"]
    slack_text = slack_payload(summary)["text"]
    for text in (telegram_text, slack_text):
        assert isinstance(text, str)
        for figure in ("48,210.55 USDT", "75.0%", "-6,210.40 USDT", "4,610.25 USDT", "-12.34 USDT", "3.61 USDT"):
            assert figure in text
    discord_fields = discord_payload(summary)["embeds"][0]["fields"]
    assert len(discord_fields) == 7
    webhook_values = [f["value"] for f in webhook_payload(summary)["fields"]]
    assert webhook_values[0] == "48210.554"  # exact, not rounded


def test_webhook_when_a_figure_is_unknown_then_null_never_zero() -> None:
    event = replace(crash_day_summary(), fields=(AlertField("spot leg PnL", None, Unit.USDT),))
    (field,) = webhook_payload(event)["fields"]
    assert field == {"name": "spot leg PnL", "value": None, "unit": "USDT", "shown": "unknown"}


def test_formats_when_text_has_markup_characters_then_escaped_for_each_service() -> None:
    event = replace(sol_limit_blocked(), text="size <5> & more")
    assert "size &lt;5&gt; &amp; more" in str(telegram_payload(event, CHAT_ID)["text"])
    section = slack_payload(event)["blocks"][1]
    assert section["text"]["text"] == "size &lt;5&gt; &amp; more"


def test_formats_when_text_is_longer_than_a_service_allows_then_cut_to_its_limit() -> None:
    event = replace(sol_limit_blocked(), title="T" * 400, text="x" * 9000)
    telegram = telegram_payload(event, CHAT_ID)
    assert len(str(telegram["text"])) == 4096
    assert "parse_mode" not in telegram  # cut markup could break: sent as plain text
    embed = discord_payload(event)["embeds"][0]
    assert len(embed["title"]) == 256
    assert len(embed["description"]) == 4096
    header = slack_payload(event)["blocks"][0]
    assert len(header["text"]["text"]) == 150
