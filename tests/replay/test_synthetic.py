"""Specification of synthetic perpetuals in a replay: which configured instruments the data lacks are made up from
spot, and never an instrument the configuration does not name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.replay.session import ReplayOptions, prepare
from tests.replay.factories import D, hedge_config

JUNE_2022 = "2022-06-3ac-crash"  # spot BTC ETH SOL AVAX ADA DOGE LINK; perpetuals BTC and ETH only


def june_2022(tmp_path: Path, synthetic: bool = True) -> ReplayOptions:
    return ReplayOptions(
        sample=JUNE_2022, balances={"USDT": D(20_000), "SOL": D(100), "ADA": D(5000)}, out=tmp_path, synthetic=synthetic
    )


@pytest.mark.parametrize(
    ("sections", "synthetic"),
    [
        ({"hedges": {"SOL": {"instrument": "SOL/USDT:USDT"}}}, ("SOL/USDT:USDT",)),
        ({"hedges": {"ADA": {"proxy": "AVAX/USDT:USDT", "beta": 1}}}, ("AVAX/USDT:USDT",)),
        ({"policy": {"proxy": {"default_instrument": "LINK/USDT:USDT"}}}, ("LINK/USDT:USDT",)),
        ({"hedges": {"ETH": {"instrument": "ETH/USDT:USDT"}}}, ()),  # recorded: replayed as it is
        ({}, ()),  # SOL and ADA name no hedge: routed as in a live run (no own perpetual listed, no proxy)
    ],
    ids=["direct", "proxy", "default-proxy", "recorded", "not-named"],
)
def test_prepare_when_the_data_lacks_a_perpetual_then_only_the_named_ones_are_made_up_from_spot(
    tmp_path: Path, sections: Mapping[str, Mapping[str, Any]], synthetic: tuple[str, ...]
) -> None:
    prepared = prepare(hedge_config(**sections), "main", june_2022(tmp_path))
    assert prepared.synthetic == synthetic
    assert tuple(prepared.sample.synthetic_perpetuals()) == synthetic
    assert {"BTC/USDT:USDT", "ETH/USDT:USDT", *synthetic} == set(prepared.sample.perpetuals())
    assert len([note for note in prepared.notes if "is synthetic" in note]) == len(synthetic)


def test_prepare_when_no_synthetic_then_nothing_made_up_and_the_refused_named(tmp_path: Path) -> None:
    config = hedge_config(hedges={"SOL": {"instrument": "SOL/USDT:USDT"}})
    prepared = prepare(config, "main", june_2022(tmp_path, synthetic=False))
    assert (prepared.synthetic, prepared.declined) == ((), ("SOL/USDT:USDT",))
    assert prepared.sample.perpetuals() == ["BTC/USDT:USDT", "ETH/USDT:USDT"]
