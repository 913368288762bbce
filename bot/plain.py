"""Plain JSON-safe data the project's way: Decimals and paths as strings, times ISO 8601, dataclasses as mappings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

MASK = "***"  # what a secret looks like wherever it is shown


_AS_IS = frozenset({str, int, float, bool, type(None)})  # exactly these types (not subclasses, e.g. a StrEnum)


def plain(value: Any) -> Any:
    """Make a value JSON-safe: Decimals and paths as strings, times as ISO 8601, durations in seconds, enums as their
    value, dataclasses as mappings, secrets (anything with ``get_secret_value``) masked."""
    kind = type(value)
    if kind in _AS_IS:  # the commonest first: a journal record is mostly text and numbers
        return value
    if kind is Decimal:
        return str(value)
    if kind in _FIELDS or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return {name: plain(getattr(value, name)) for name in _field_names(kind)}
    if isinstance(value, Decimal | Path):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if hasattr(value, "get_secret_value"):
        return MASK
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, by its type


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names
