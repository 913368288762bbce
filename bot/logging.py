"""Structured logging: structlog events, JSON off a terminal and console on one, with secrets always redacted.

Every record, ours and third-party (ccxt, aiohttp) alike, passes through the same processors:
- values: ``Decimal`` as strings, datetimes as ISO 8601, enums as their value;
- redaction: keys that name a secret (api keys, secrets, passphrases, signatures, tokens) are masked wherever
  they appear; any registered secret value is masked inside every string (messages, exceptions, URLs);
  ``signature=...``-style fragments in URLs and headers are masked too.
A dry run's records carry ``dry_run=true`` (``mark_dry_run``), and on the console begin ``DRY-RUN``.
Logs go to stderr; stdout is for human output and ``--json`` results.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from bot.plain import MASK, plain

DRY_RUN = "DRY-RUN"

_SECRET_KEY = re.compile(
    r"(api[-_]?key|apikey|secret|passphrase|password|passwd|signature|^sign$|x-bapi-sign|x-bapi-api-key|"
    r"ok-access-key|ok-access-sign|ok-access-passphrase|x-mbx-apikey|token|authorization|private[-_]?key)",
    re.IGNORECASE,
)
_SECRET_FRAGMENT = re.compile(
    r"(?P<key>(?:api[-_]?key|apikey|secret|passphrase|password|signature|sign|x-bapi-sign|x-bapi-api-key|"
    r"x-mbx-apikey|ok-access-key|ok-access-sign|ok-access-passphrase|token)[\"']?\s*[=:]\s*[\"']?)"
    r"(?P<value>[^&\s\"',}]+)",
    re.IGNORECASE,
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secrets(values: Iterable[str]) -> None:
    """Mask these exact values wherever they appear in any later log record. Short values are ignored."""
    with _secrets_lock:
        _secrets.update(v for v in values if v and len(v) >= 6)


def redact_text(text: str) -> str:
    """Mask registered secret values and ``key=value`` secret fragments inside a string."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return _SECRET_FRAGMENT.sub(lambda m: m.group("key") + MASK, text)


def redact(value: Any) -> Any:
    """Return ``value`` with secrets masked, recursing into mappings and sequences."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: (MASK if isinstance(k, str) and _SECRET_KEY.search(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    return value


def _plain_values(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    return {key: plain(value) for key, value in event_dict.items()}


def _redact_event(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    out: MutableMapping[str, Any] = {}
    for key, value in event_dict.items():
        out[key] = MASK if _SECRET_KEY.search(key) else redact(value)
    return dict(out)


def mark_dry_run() -> None:
    """From now on every log record says it comes from a dry run: ``dry_run=true``, and on the console a ``DRY-RUN``
    prefix before the event."""
    structlog.contextvars.bind_contextvars(dry_run=True)


def _dry_run_prefix(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    if event_dict.get("dry_run"):
        event_dict["event"] = f"{DRY_RUN} {event_dict.get('event', '')}"
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _plain_values,
        _redact_event,
    ]


def configure_logging(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library's logging through one redacting renderer on ``stream``."""
    stream = stream if stream is not None else sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Processor = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *([] if use_json else [_dry_run_prefix]),
                renderer,
            ],
            foreign_pre_chain=_shared_processors(),
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("ccxt", "aiohttp", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
