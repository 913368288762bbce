"""Specification of a replay's preparation: what it refuses before the first cycle, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.errors import DataError
from tests.replay.factories import cascade_replay, hedge_config

NOTHING = "nothing to hedge: give the account coins with --balance ASSET=QTY (they count when [holdings] venues lists"


@pytest.mark.parametrize(
    ("holdings", "message"),
    [
        ({"venues": [], "static": []}, NOTHING),  # the account's SOL and ETH are not the portfolio's
        ({"static": [], "exclude": ["USDT", "SOL", "ETH"]}, NOTHING),  # every coin excluded
        (
            {"static": [{"asset": "AVAX", "quantity": "100"}]},
            "has no spot price for AVAX, which the portfolio holds, so neither the bot nor the report could value it",
        ),
    ],
)
def test_prepare_when_the_portfolio_holds_nothing_the_replay_can_value_then_refused_saying_what_to_do(
    tmp_path: Path, holdings: dict[str, Any], message: str
) -> None:
    with pytest.raises(DataError) as info:
        cascade_replay(tmp_path, config=hedge_config(holdings=holdings))
    assert message in str(info.value)


def test_prepare_when_every_holding_is_priced_then_ready(tmp_path: Path) -> None:
    prepared = cascade_replay(tmp_path)
    assert prepared.balances["SOL"] == 150
