"""Specification of the simulator as a package of its own: it loads nothing of the bot, and its key is cheap."""

from __future__ import annotations

import pytest

from tests.conftest import modules_loaded_by


@pytest.mark.parametrize(
    ("statement", "needed", "never"),
    [
        # the package, and everything it offers, without the bot or its policies
        ("import hedgesim", "hedgesim", ("bot", "policies")),
        ("from hedgesim import SimExchange, running_sim", "hedgesim.server", ("bot", "policies")),
        # the built-in key and secret (the bot's configuration reads them) without the engine or the HTTP server
        ("import hedgesim.credentials", "hedgesim.credentials", ("hedgesim.engine", "aiohttp", "bot")),
    ],
)
def test_import_when_run_in_a_fresh_interpreter_then_loads_only_what_it_needs(
    statement: str, needed: str, never: tuple[str, ...]
) -> None:
    loaded = modules_loaded_by(statement)
    assert needed in loaded  # the statement did load something: an empty list cannot pass
    assert [m for m in loaded if any(m == n or m.startswith(f"{n}.") for n in never)] == []
