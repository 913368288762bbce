"""Fuzzing the configuration loader: TOML documents and HEDGEBOT_* environments around the schema.

Each example takes a valid configuration and changes one to three keys (a nasty value: empty, NUL, NaN,
Infinity, 1e400, a huge duration, a boolean where a number belongs, a bad URL, random text, numbers, lists,
tables, dates), deletes keys, adds unknown ones, and sets environment variables (valid names with bad values,
misspelt names, values that are not JSON where a list belongs). Every outcome must be a valid configuration whose
every value is sane (finite, bounded numbers and durations, named files, http(s) URLs) and usable by what reads
it, or a ``ConfigError`` whose problems name the key (or variable) at fault; never a traceback. The command line
maps the same inputs to exit 0 or 2.

Example counts are bounded for the default suite (see ``tests/fuzz/profiles.py``); for a long hunt:
``FUZZ_PROFILE=long scripts/test tests/fuzz/test_config.py``.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
import typing
from collections.abc import Iterator, Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.alerts.factory import alert_settings
from bot.cli.main import main
from bot.config import AppConfig, load_config
from bot.config_errors import unwrap_annotation
from bot.config_types import MAX_NUMBER
from bot.durations import MAX_DURATION
from bot.errors import ConfigError
from bot.settings.from_config import core_settings, risk_limits
from tests.fuzz import toml_text
from tests.fuzz.profiles import FUZZ

Key = tuple[str | int, ...]
TABLES = {"venues": "main", "hedges": "SOL", "destinations": "ops"}  # the table names the base document uses
BASE: dict[str, Any] = {
    "venues": {"main": {"exchange": "bybit", "mode": "sim", "url": "http://127.0.0.1:8765", "timeout_seconds": 10}},
    "holdings": {"venues": ["main"], "static": [{"asset": "BTC", "quantity": "0.25", "label": "cold"}]},
    "hedges": {"SOL": {"instrument": "SOL/USDT:USDT", "ratio": 0.75}},
    "policy": {
        "ratio": 0.5,
        "event_window": {
            "windows": [
                {
                    "name": "unlock",
                    "start": datetime(2026, 12, 1, 14, tzinfo=UTC),
                    "end": datetime(2026, 12, 3, tzinfo=UTC),
                    "ratio": 1,
                    "ramp_in": "6h",
                }
            ]
        },
    },
    "execution": {"interval": "30s", "band": 0.05},
    "risk": {"max_order_notional": 500, "kill_switch_file": "hedgebot.halt"},
    "approval": {"timeout": "2m"},
    "journal": {"path": "journal.sqlite"},
    "alerts": {"destinations": {"ops": {"kind": "slack", "credentials": "OPS"}}},
}
BASE_ENV = {"OPS_URL": "https://hooks.slack.com/services/T000/B000/XXXX"}

NASTY: tuple[Any, ...] = (
    "", "\x00", "a\x00b", ".", "/", " ", "NaN", "nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e16",
    "1e-400", "0", "-0", "-1", "0.5", "2", "99999999999999d", "36501d", "P99999999D", "PT", "P", "-5s", "1.5h",
    "true", "false", "null", "http://", "htp://x", "http://[::1", "http://127.0.0.1:99999", "http://h st",
    "https://example.com", "main", "SOL", "SOL/USDT:USDT", "SOL/USDT", "estimate", "auto", "ask", "cross",
    "isolated", "sim", "live", "__", "x" * 200, "[]", "{}", '["main"]',
    True, False, 0, -1, 1, 2, 3, 2**63, -(2**63), 10**30, 0.0, -0.0, 1e308, 5e-324,
    float("nan"), float("inf"), float("-inf"), [], {}, ["main"], [1, 2], {"a": 1},
    datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None),  # a local date-time: no time zone
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=12),
    st.integers(),
    st.floats(),
    st.lists(st.sampled_from(NASTY[:20]), max_size=3),
    st.datetimes(timezones=st.sampled_from([UTC, None])),
)
ENV_VALUES = st.one_of(
    st.sampled_from([v for v in NASTY if isinstance(v, str) and "\x00" not in v]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def schema_keys(model: type[BaseModel], prefix: Key = ()) -> Iterator[Key]:
    """Every key of the schema, tables named as in ``BASE``, list items as index 0."""
    for name, field in model.model_fields.items():
        here = (*prefix, name)
        yield here
        inner = unwrap_annotation(field.annotation)
        args = typing.get_args(inner)
        if _is_model(inner):
            yield from schema_keys(inner, here)
        elif typing.get_origin(inner) is dict and _is_model(unwrap_annotation(args[1])):
            yield from schema_keys(unwrap_annotation(args[1]), (*here, TABLES[name]))
        elif typing.get_origin(inner) is list and _is_model(unwrap_annotation(args[0])):
            yield from schema_keys(unwrap_annotation(args[0]), (*here, 0))


KEYS = tuple(schema_keys(AppConfig))
ENV_NAMES = tuple(
    "HEDGEBOT_" + "__".join(str(part).upper() for part in key)
    for key in KEYS
    if not any(isinstance(p, int) for p in key)
)


def dotted(key: Key) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Edit:
    key: Key
    value: Any = None
    delete: bool = False

    @property
    def name(self) -> str:
        return dotted(self.key)

    def apply(self, data: dict[str, Any]) -> None:
        *parents, last = self.key
        node: Any = data
        for part in parents:
            if isinstance(part, int):
                if not isinstance(node, list) or len(node) <= part:
                    return
                node = node[part]
            else:
                if not isinstance(node, dict):
                    return
                node = node.setdefault(part, {})
        if isinstance(node, dict):
            if self.delete:
                node.pop(str(last), None)
            else:
                node[str(last)] = self.value


@st.composite
def edits(draw: st.DrawFn) -> Edit:
    key = draw(st.sampled_from(KEYS))
    kind = draw(st.sampled_from(["set", "set", "set", "delete", "unknown"]))
    if kind == "delete":
        return Edit(key, delete=True)
    if kind == "unknown":
        return Edit((*key[:-1], draw(st.sampled_from([f"{key[-1]}x", str(key[-1])[:-1] or "x", "zz"]))), 1)
    return Edit(key, draw(VALUES))


@st.composite
def env_names(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(ENV_NAMES))
    how = draw(st.sampled_from(["as is", "as is", "one underscore", "typo", "lower", "suffix"]))
    if how == "one underscore" and "__" in name.removeprefix("HEDGEBOT_"):
        return "HEDGEBOT_" + name.removeprefix("HEDGEBOT_").replace("__", "_", 1)
    if how == "typo":
        return name[:-1] + draw(st.sampled_from("AEIOUXZ_"))
    if how == "lower":
        return name.lower()
    if how == "suffix":
        return name + "__X"
    return name


@dataclass(frozen=True)
class Case:
    edits: tuple[Edit, ...]
    env: Mapping[str, str]

    def document(self) -> dict[str, Any]:
        data = copy.deepcopy(BASE)
        for edit in self.edits:
            edit.apply(data)
        return data

    def names_at_fault(self) -> list[str]:
        return [edit.name for edit in self.edits] + list(self.env)


cases = st.builds(
    Case,
    edits=st.lists(edits(), min_size=0, max_size=3).map(tuple),
    env=st.dictionaries(env_names(), ENV_VALUES, max_size=2),
)


def load(case: Case, folder: Path) -> AppConfig:
    path = folder / "hedgebot.toml"
    path.write_text(toml_text.document(case.document()), encoding="utf-8")
    return load_config(path, env={**BASE_ENV, **case.env})


@FUZZ
@given(case=cases)
def test_load_config_when_keys_and_environment_are_fuzzed_then_a_sane_config_or_an_error_naming_the_key(
    case: Case,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        try:
            config = load(case, Path(folder))
        except ConfigError as exc:
            assert_names_the_key(exc, case)
            return
        assert_sane(config)
        assert_usable(config)


@FUZZ
@given(text=st.one_of(st.text(max_size=60), st.integers(0, 900).map(lambda n: toml_text.document(BASE)[:n])))
def test_load_config_when_the_file_is_not_toml_then_an_error_naming_the_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hedgebot.toml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path, env=BASE_ENV)
        except ConfigError as exc:
            problems = exc.problems
        else:
            problems = [("(loaded)", "a valid configuration")]
        assert problems
        assert all(where and message for where, message in problems)


@FUZZ
@given(case=cases)
def test_check_config_command_when_fuzzed_then_exit_0_or_2_and_never_a_traceback(case: Case) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hedgebot.toml"
        path.write_text(toml_text.document(case.document()), encoding="utf-8")
        environ = {k: v for k, v in os.environ.items() if not k.upper().startswith("HEDGEBOT_")}
        with (
            mock.patch.dict(os.environ, {**environ, **BASE_ENV, **case.env}, clear=True),
            redirect_stdout(StringIO()),
            redirect_stderr(StringIO()) as errors,
        ):
            code = main(["check-config", str(path)])
        assert code in (0, 2), errors.getvalue()


# -- what an outcome must satisfy --------------------------------------------------------------------------------


def assert_names_the_key(error: ConfigError, case: Case) -> None:
    assert error.problems, "a ConfigError with no problem in it"
    for where, message in error.problems:
        assert where, f"a problem naming no key: {message}"
        assert message, f"{where}: a problem with no message"
    at_fault = case.names_at_fault()
    named = any(
        where == name
        or where.startswith(name)
        or name.startswith(where)
        or name.rsplit(".", 1)[-1] in message
        or name in message
        for where, message in error.problems
        for name in at_fault
    )
    assert named, f"{error.problems} names none of {at_fault}"


def assert_sane(config: AppConfig) -> None:
    for path, value in _leaves(config.model_dump(), ""):
        if isinstance(value, Decimal):
            assert value.is_finite(), f"{path} = {value}"
            assert abs(value) <= MAX_NUMBER, f"{path} = {value}"
        elif isinstance(value, float):
            assert math.isfinite(value), f"{path} = {value}"
        elif isinstance(value, timedelta):
            assert timedelta(0) <= value <= MAX_DURATION, f"{path} = {value}"
        elif isinstance(value, Path):
            assert str(value) not in ("", "."), f"{path} = {value!r}"
            assert "\x00" not in str(value), f"{path} = {value!r}"
        elif isinstance(value, bool) or value is None:
            continue
        elif path.endswith(("url", "api_url")) and isinstance(value, str):
            parts = urlsplit(value)
            assert parts.scheme in ("http", "https"), f"{path} = {value!r}"
            assert parts.hostname, f"{path} = {value!r}"


def assert_usable(config: AppConfig) -> None:
    """What reads the configuration works with it: the core's settings, the risk limits, alerts, check-config."""
    settings = core_settings(config)
    risk_limits(config.risk)
    alert_settings(config)
    json.dumps(config.masked_dump())
    now = datetime.now(UTC)
    for _, value in _leaves(config.model_dump(), ""):
        if isinstance(value, timedelta):
            _ = (now + value, now - value)
    for window in config.policy.event_window.windows:
        _ = (window.start - window.ramp_in, window.end + window.ramp_out)
    assert settings.planner.max_data_age == config.risk.max_data_age


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for name, item in value.items():
            yield from _leaves(item, f"{path}.{name}" if path else str(name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value
