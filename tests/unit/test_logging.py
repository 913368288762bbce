"""Specification of log output: structured, Decimals as strings, and secrets never written anywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest
import structlog

from bot.cli.main import main
from bot.config import load_config
from bot.logging import MASK, configure_logging, mark_dry_run, register_secrets

API_KEY = "kA9vX2mQ7rT4"
API_SECRET = "sQ8wE3rT6yU1iO0pZ5"


@pytest.fixture
def log_stream() -> io.StringIO:
    stream = io.StringIO()
    configure_logging("debug", "json", stream)
    register_secrets([API_KEY, API_SECRET])
    return stream


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_log_when_decimal_values_then_rendered_as_strings(log_stream: io.StringIO) -> None:
    structlog.get_logger("t").info("order.submitted", price=Decimal("123.4500"), qty=Decimal("0.1"))
    (record,) = records(log_stream)
    assert record["event"] == "order.submitted"
    assert record["price"] == "123.4500"
    assert record["qty"] == "0.1"


def test_log_when_secret_under_a_secret_key_then_masked(log_stream: io.StringIO) -> None:
    log = structlog.get_logger("t")
    log.info("venue.connect", api_key=API_KEY, secret=API_SECRET, headers={"X-BAPI-SIGN": "abcdef123456"})
    (record,) = records(log_stream)  # the record was written, with every secret in it masked
    assert (record["event"], record["api_key"], record["secret"]) == ("venue.connect", MASK, MASK)
    assert record["headers"] == {"X-BAPI-SIGN": MASK}
    text = log_stream.getvalue()
    assert API_KEY not in text
    assert API_SECRET not in text
    assert "abcdef123456" not in text


def test_log_when_secret_inside_free_text_url_or_exception_then_masked(log_stream: io.StringIO) -> None:
    log = structlog.get_logger("t")
    log.warning("request.failed", url=f"https://api.example/v5/order?apiKey={API_KEY}&sign=deadbeefcafe")
    log.info(f"odd message containing {API_SECRET}")
    try:
        raise RuntimeError(f"auth failed for key {API_KEY}")
    except RuntimeError:
        log.exception("venue.error")
    log.debug("nested", payload={"list": [{"value": f"x{API_SECRET}y"}]})
    text = log_stream.getvalue()
    assert API_KEY not in text
    assert API_SECRET not in text
    assert "deadbeefcafe" not in text
    assert "auth failed for key ***" in text


def test_log_when_third_party_library_logs_a_secret_then_masked(log_stream: io.StringIO) -> None:
    logging.getLogger("ccxt.base.exchange").warning("POST /v5/order/create headers X-BAPI-API-KEY: %s", API_KEY)
    text = log_stream.getvalue()
    assert text  # the record was written
    assert API_KEY not in text


def test_check_config_and_logs_when_real_credentials_then_values_never_printed(
    tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYBIT_DEMO_API_KEY", API_KEY)
    monkeypatch.setenv("BYBIT_DEMO_API_SECRET", API_SECRET)
    path = tmp_path / "c.toml"
    path.write_text('[venues.main]\nexchange = "bybit"\nmode = "demo"\ncredentials = "BYBIT_DEMO"\n')
    assert main(["--log-level", "debug", "check-config", str(path)]) == 0
    assert main(["--log-level", "debug", "check-config", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err
    assert API_SECRET not in captured.out + captured.err
    config = load_config(path)
    stream = io.StringIO()
    configure_logging("debug", "json", stream)
    structlog.get_logger("t").info("config.loaded", config=config.masked_dump(), creds=config.credentials("main"))
    (record,) = records(stream)  # written, with the credentials in it masked
    assert record["creds"]["source"] == "environment (BYBIT_DEMO_*)"
    assert (record["creds"]["api_key"], record["creds"]["secret"]) == (MASK, MASK)
    assert API_SECRET not in stream.getvalue()
    assert API_KEY not in stream.getvalue()


@pytest.fixture
def dry_run() -> Iterator[None]:
    mark_dry_run()
    try:
        yield
    finally:
        structlog.contextvars.unbind_contextvars("dry_run")


@pytest.mark.usefixtures("dry_run")
def test_log_when_a_dry_run_then_every_json_record_says_dry_run_true_ours_and_third_party(
    log_stream: io.StringIO,
) -> None:
    structlog.get_logger("t").info("order.submitted", symbol="SOL/USDT:USDT")
    logging.getLogger("ccxt.base.exchange").warning("a third-party record")
    ours, theirs = records(log_stream)
    assert (ours["event"], ours["dry_run"]) == ("order.submitted", True)  # the event keeps its dotted name
    assert theirs["dry_run"] is True


@pytest.mark.usefixtures("dry_run")
def test_log_when_a_dry_run_on_the_console_then_every_line_begins_dry_run() -> None:
    stream = io.StringIO()
    configure_logging("info", "console", stream)
    structlog.get_logger("t").info("order.submitted", symbol="SOL/USDT:USDT")
    logging.getLogger("ccxt.base.exchange").warning("a third-party record")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert all(line.split("]", 1)[1].lstrip().startswith("DRY-RUN ") for line in lines), lines


def test_log_when_not_a_dry_run_then_no_dry_run_mark() -> None:
    stream = io.StringIO()
    configure_logging("info", "console", stream)
    structlog.get_logger("t").info("order.submitted")
    assert "DRY-RUN" not in stream.getvalue()
    assert "dry_run" not in stream.getvalue()
