"""The ``HEDGEBOT_*`` environment checked before it overrides the file: every variable names a key, lists are JSON.

``HEDGEBOT_RISK__MAX_ORDER_NOTIONAL=500`` overrides ``[risk] max_order_notional`` (``__`` nests; names are
case-insensitive). A ``HEDGEBOT_`` variable that names no key (a typo such as one underscore where two belong) is
an error naming the closest key, never silently ignored; so is a list or table value that is not JSON. A few
variables belong to hedgebot's tools, not to the configuration (``NOT_CONFIGURATION``).
"""

from __future__ import annotations

import difflib
import json
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from bot.config_errors import unwrap_annotation

PREFIX = "HEDGEBOT_"
DELIMITER = "__"
NOT_CONFIGURATION = frozenset(
    {
        "HEDGEBOT_CONFIG",  # the configuration file the command line reads
        "HEDGEBOT_CONFIRM_LIVE",  # `run` and `unwind` on a venue in mode "live" with no terminal: the venue's name
        "HEDGEBOT_VENV",  # where scripts/ keep the virtual environment
        "HEDGEBOT_NETWORK_TESTS",  # the test suite: run the opt-in tests against real testnets
        "HEDGEBOT_CRASH_SEED",  # the test suite: the crash-safety trials' random seed
        "HEDGEBOT_CHAOS_SEED",  # the test suite: the short chaos run's seed
    }
)


def environment_problems(
    root: type[BaseModel], environ: Mapping[str, str], data: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(variable, problem) for every ``HEDGEBOT_`` variable that names no key of ``root``, or whose value cannot be
    read for its key; ``data`` (the file's values) supplies the table names to suggest (e.g. the venues)."""
    problems: list[tuple[str, str]] = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in NOT_CONFIGURATION:
            continue
        annotation = _key_of(root, upper.removeprefix(PREFIX).lower().split(DELIMITER))
        if annotation is None:
            problems.append((name, _unknown(upper, root, data)))
        elif _is_complex(annotation) and not _is_json(environ[name]):
            problems.append((name, 'a list or table is written as JSON, e.g. ["main"] or {"recvWindow": 10000}'))
    return problems


def attribute_to_environment(problems: list[tuple[str, str]], environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """``problems`` with each one about a key the environment set saying which variable set it."""
    by_key = {
        name.upper().removeprefix(PREFIX).replace(DELIMITER, ".").lower(): name
        for name in environ
        if name.upper().startswith(PREFIX) and name.upper() not in NOT_CONFIGURATION
    }
    attributed = []
    for where, message in problems:
        key = where.lower()
        variable = next(
            (v for k, v in by_key.items() if key == k or key.startswith(f"{k}.") or k.startswith(f"{key}.")), None
        )
        attributed.append((where, f"{message} (set by {variable})" if variable else message))
    return attributed


def _key_of(root: type[BaseModel], parts: list[str]) -> Any | None:
    """The annotation of the key ``parts`` leads to from ``root``, or None if they lead nowhere."""
    current: Any = root
    for part in parts:
        if not part:
            return None
        current = unwrap_annotation(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]  # ``part`` is a table name (a venue, an asset)
        else:
            return None  # a plain value has no keys below it
    return current


def _unknown(name: str, root: type[BaseModel], data: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(_names(root, data)), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"names look like {PREFIX}RISK{DELIMITER}MAX_ORDER_NOTIONAL"
    return f"this environment variable names no configuration key ({hint})"


def _names(model: type[BaseModel], data: Any, prefix: str = PREFIX) -> Iterator[str]:
    """Every variable name that names a key, table names taken from ``data`` (else a placeholder)."""
    for name, field in model.model_fields.items():
        here = f"{prefix}{name.upper()}"
        yield here
        inner = unwrap_annotation(field.annotation)
        value = data.get(name, {}) if isinstance(data, Mapping) else {}
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _names(inner, value, here + DELIMITER)
        elif typing.get_origin(inner) is dict:
            model_of_value = unwrap_annotation(typing.get_args(inner)[1])
            tables = list(value) if isinstance(value, Mapping) and value else ["NAME"]
            for table in tables:
                yield f"{here}{DELIMITER}{str(table).upper()}"
                if isinstance(model_of_value, type) and issubclass(model_of_value, BaseModel):
                    yield from _names(model_of_value, value.get(table, {}) if isinstance(value, Mapping) else {},
                                      f"{here}{DELIMITER}{str(table).upper()}{DELIMITER}")  # fmt: skip


def _is_complex(annotation: Any) -> bool:
    """A value pydantic-settings reads from the environment as JSON: a list, a table or a section."""
    inner = unwrap_annotation(annotation)
    return typing.get_origin(inner) in (list, dict, tuple, set) or (
        isinstance(inner, type) and issubclass(inner, BaseModel)
    )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
