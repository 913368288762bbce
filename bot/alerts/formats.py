"""The message body each destination kind expects, built from an alert event (pure).

- webhook: our own JSON document (``hedgebot.alert`` version 1): kind, severity, key, title, text, time and the
  figures as exact decimal strings with their unit (null: unknown), for scripts and other tools to consume.
- telegram: the Bot API's ``sendMessage`` parameters with ``parse_mode`` HTML (text at most 4096 characters).
- discord: an execute-webhook body with one embed (title 256, description 4096, 25 fields of 1024 characters at
  most) coloured by severity, and ``allowed_mentions`` empty so that no text in an alert can ping anyone.
- slack: an incoming-webhook body: ``text`` (the notification fallback) and Block Kit blocks (a header of at most
  150 characters, a mrkdwn section, the figures as section fields, at most 10).
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import TypeAlias

from bot.alerts.events import AlertEvent, AlertField, Severity, Unit

Json: TypeAlias = str | int | float | bool | list["Json"] | dict[str, "Json"] | None
JsonObject: TypeAlias = dict[str, Json]

SOURCE = "hedgebot"
WEBHOOK_SCHEMA = "hedgebot.alert/1"
TELEGRAM_MAX_TEXT = 4096
DISCORD_MAX_TITLE = 256
DISCORD_MAX_DESCRIPTION = 4096
DISCORD_MAX_FIELDS = 25
DISCORD_MAX_FIELD_VALUE = 1024
SLACK_MAX_HEADER = 150
SLACK_MAX_FIELDS = 10
SLACK_MAX_TEXT = 3000

SEVERITY_MARK = {Severity.INFO: "INFO", Severity.WARNING: "WARNING", Severity.CRITICAL: "CRITICAL"}
DISCORD_COLOUR = {Severity.INFO: 0x2E86DE, Severity.WARNING: 0xF39C12, Severity.CRITICAL: 0xE74C3C}


def shown_value(field: AlertField) -> str:
    """A figure as a person reads it: USDT with two decimals and thousands separators, fractions as percent."""
    value = field.value
    if value is None:
        return "unknown"
    if isinstance(value, Decimal) and field.unit is Unit.USDT:
        return f"{value:,.2f} USDT"
    if isinstance(value, Decimal) and field.unit is Unit.FRACTION:
        return f"{value * 100:.1f}%"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str | int):
        return str(value)
    return value.isoformat()


def headline(event: AlertEvent) -> str:
    return f"[{SEVERITY_MARK[event.severity]}] {event.title}"


def plain_text(event: AlertEvent) -> str:
    """The whole alert as plain text: headline, text, one line per figure."""
    lines = [headline(event), event.text, *(f"{f.name}: {shown_value(f)}" for f in event.fields)]
    return "\n".join(lines)


def webhook_payload(event: AlertEvent) -> JsonObject:
    return {
        "schema": WEBHOOK_SCHEMA,
        "source": SOURCE,
        "kind": event.kind.value,
        "severity": event.severity.value,
        "key": event.key,
        "title": event.title,
        "text": event.text,
        "time": event.at.isoformat(),
        "fields": [_field_json(f) for f in event.fields],
    }


def _field_json(field: AlertField) -> JsonObject:
    value = field.value
    exact: Json
    if value is None or isinstance(value, str):
        exact = value  # None: unknown (null), never a made-up zero
    else:
        exact = str(value) if isinstance(value, Decimal | int) else value.isoformat()
    return {"name": field.name, "value": exact, "unit": field.unit.value, "shown": shown_value(field)}


def telegram_payload(event: AlertEvent, chat_id: str) -> JsonObject:
    lines = [f"<b>{_html(headline(event))}</b>", _html(event.text)]
    lines += [f"{_html(f.name)}: <code>{_html(shown_value(f))}</code>" for f in event.fields]
    text = "\n".join(lines)
    if len(text) > TELEGRAM_MAX_TEXT:  # cutting markup could break it: fall back to plain text
        return {"chat_id": chat_id, "text": _cut(plain_text(event), TELEGRAM_MAX_TEXT)}
    return {"chat_id": chat_id, "text": text, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}


def discord_payload(event: AlertEvent) -> JsonObject:
    fields: list[Json] = [
        {
            "name": _cut(f.name, DISCORD_MAX_TITLE),
            "value": _cut(shown_value(f), DISCORD_MAX_FIELD_VALUE),
            "inline": True,
        }
        for f in event.fields[:DISCORD_MAX_FIELDS]
    ]
    embed: JsonObject = {
        "title": _cut(headline(event), DISCORD_MAX_TITLE),
        "description": _cut(event.text, DISCORD_MAX_DESCRIPTION),
        "color": DISCORD_COLOUR[event.severity],
        "timestamp": event.at.isoformat(),
        "fields": fields,
    }
    return {"username": SOURCE, "embeds": [embed], "allowed_mentions": {"parse": []}}


def slack_payload(event: AlertEvent) -> JsonObject:
    blocks: list[Json] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(headline(event), SLACK_MAX_HEADER)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_slack_escape(event.text), SLACK_MAX_TEXT)}},
    ]
    if event.fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": _slack_escape(f"*{f.name}*\n{shown_value(f)}")}
                    for f in event.fields[:SLACK_MAX_FIELDS]
                ],
            }
        )
    return {"text": _cut(plain_text(event), SLACK_MAX_TEXT), "blocks": blocks}


def _html(text: str) -> str:
    """Telegram's HTML mode needs only these three escaped."""
    return html.escape(text, quote=False)


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn treats these three as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
