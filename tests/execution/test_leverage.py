"""Specification of keeping each hedge position's leverage at execution.leverage, against an in-memory venue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain import Position
from bot.errors import ExchangeUnavailable
from bot.execution.leverage import keep_leverage
from bot.journal.writer import Journal, open_journal
from bot.risk.state import Trigger
from tests.exchange.fake_port import FakePort
from tests.factories import NOW, short_position, sol_perp_market

D = Decimal
SOL = "SOL/USDT:USDT"
RUN = "lev123"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    journal = open_journal(tmp_path / "j.sqlite", ManualClock(NOW))
    journal.start_run(RUN, mode="sim", config_hash="test", version="test")
    yield journal
    journal.close()


def sol_short(leverage: str | None) -> dict[str, Position]:
    """The cycle's positions: 60 SOL short, reporting ``leverage`` (None: as a flat row on Bybit, none)."""
    return {SOL: replace(short_position(SOL, "60", "150"), leverage=D(leverage) if leverage else None)}


@pytest.mark.parametrize(
    ("reported", "read_back", "set_fails", "known", "halted", "requests"),
    [
        pytest.param("1", None, False, "1", False, [], id="as configured: no request"),
        pytest.param(None, None, False, None, False, [], id="no leverage reported: nothing to compare"),
        pytest.param("5", None, False, "1", False, ["set_leverage", "fetch_leverage"], id="5x: set back to 1x"),
        pytest.param("5", "3", False, "5", True, ["set_leverage", "fetch_leverage"], id="reads back 3x: halt"),
        pytest.param("5", None, True, "5", True, ["set_leverage"], id="the venue refuses: halt"),
    ],
)
async def test_keep_leverage_when_a_position_reports_its_leverage_then_kept_restored_or_halted(
    journal: Journal,
    reported: str | None,
    read_back: str | None,
    set_fails: bool,
    known: str | None,
    halted: bool,
    requests: list[str],
) -> None:
    venue = FakePort(markets=[sol_perp_market()])
    venue.leverage_read_back = D(read_back) if read_back else None
    if set_fails:
        venue.failures["set_leverage"] = ExchangeUnavailable("503")
    check = await keep_leverage(venue, journal, RUN, sol_short(reported), D(1))
    assert [name for name, _ in venue.calls] == requests
    assert dict(check.leverage) == ({SOL: D(known)} if known else {})
    assert [event.trigger for event in check.halts] == ([Trigger.LEVERAGE_CHANGED] if halted else [])
    journaled = journal.errors(kind="leverage_changed")
    assert len(journaled) == (1 if requests else 0)
    assert all(row.symbol == SOL for row in journaled)
