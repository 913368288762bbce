"""Specification of the pure core's imports: the core, the risk gate, the policies, the settings and the replay's
record and report load no loader, no logging set-up, no exchange client, no HTTP and no database, in a fresh
interpreter as in the import contract."""

from __future__ import annotations

import pytest

from tests.conftest import modules_loaded_by

# The configuration loader, the logging set-up, the exchange client, HTTP, the database: none is the core's.
NEVER = ("pydantic_settings", "pydantic", "structlog", "ccxt", "aiohttp", "sqlite3", "bot.config", "bot.logging")


@pytest.mark.parametrize(
    ("statement", "needed"),
    [
        ("import bot.core, bot.risk, policies", "policies.registry"),
        ("import bot.settings", "bot.settings.values"),
        ("from bot.core import plan_cycle; from bot.risk import evaluate", "bot.risk.checks"),
        ("import bot.replay.record, bot.replay.report", "bot.replay.report"),  # the replay's pure half
    ],
)
def test_import_when_the_pure_core_is_loaded_alone_then_no_loader_logging_exchange_http_or_database(
    statement: str, needed: str
) -> None:
    loaded = modules_loaded_by(statement)
    assert needed in loaded  # the statement did load the core: an empty list cannot pass
    assert [m for m in loaded if any(m == n or m.startswith(f"{n}.") for n in NEVER)] == []
