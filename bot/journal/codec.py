"""How journal values are stored: Decimals as exact TEXT, times as UTC epoch milliseconds, data as JSON."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.clock import to_ms, utc_from_ms
from bot.plain import plain


def dec_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def text_dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"the journal stores timezone-aware UTC times only, got {moment!r}")
    return to_ms(moment)


def moment(milliseconds: int) -> datetime:
    return utc_from_ms(milliseconds)


_JSON = json.JSONEncoder(sort_keys=True)  # what json.dumps(..., sort_keys=True) builds at every call


def to_json(data: Any) -> str:
    """JSON the project's way (Decimals as strings, times ISO 8601), keys sorted so equal data is equal text."""
    return _JSON.encode(plain(data))
