"""Specification of the base policies: fixed_ratio (global or per holding) and event_window (schedule, ramps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.config_policy import EventWindow, PolicyConfig
from bot.settings import EventWindowSettings
from bot.settings.from_config import policy_settings, window_settings
from policies.ratio import EventWindowRatio, FixedRatio

D = Decimal
START = datetime(2026, 12, 1, 12, tzinfo=UTC)
END = datetime(2026, 12, 3, 12, tzinfo=UTC)


def window(**fields: object) -> EventWindowSettings:
    """A ``[[policy.event_window.windows]]`` entry as the settings carry it (the schema's defaults for the rest)."""
    return window_settings(EventWindow.model_validate(fields))


UNLOCK = window(
    name="unlock", start=START, end=END, ratio=D(1), ramp_in=timedelta(hours=6), ramp_out=timedelta(hours=2)
)


@pytest.mark.parametrize(
    ("asset", "expected"),
    [("SOL", "0.5"), ("ETH", "0.75")],  # ETH has its own ratio; SOL takes the policy's
)
def test_fixed_ratio_when_holding_has_own_ratio_then_it_wins_else_policy_ratio(asset: str, expected: str) -> None:
    policy = FixedRatio.from_settings(policy_settings(PolicyConfig(ratio=D("0.5"))), {"ETH": D("0.75")})
    assert policy.ratio(asset, START)[0] == D(expected)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (START - timedelta(hours=7), "0.5"),  # before the ramp: base ratio
        (START - timedelta(hours=6), "0.5"),  # the ramp starts: weight 0
        (START - timedelta(hours=3), "0.75"),  # half way up: 0.5 + 0.5 x (1 - 0.5)
        (START - timedelta(minutes=90), "0.875"),  # three quarters up
        (START, "1"),
        (END, "1"),
        (END + timedelta(minutes=30), "0.875"),  # ramp out: 1.5 h of 2 h left
        (END + timedelta(hours=1), "0.75"),
        (END + timedelta(hours=2), "0.5"),  # back to base
    ],
)
def test_event_window_when_time_moves_then_ratio_ramps_in_holds_and_ramps_out(moment: datetime, expected: str) -> None:
    policy = EventWindowRatio(FixedRatio(D("0.5")), (UNLOCK,))
    assert policy.ratio("SOL", moment)[0] == D(expected)


def test_event_window_when_holding_has_own_ratio_then_ramps_from_it() -> None:
    policy = EventWindowRatio(FixedRatio(D("0.5"), {"ETH": D("0.75")}), (UNLOCK,))
    assert policy.ratio("ETH", START - timedelta(hours=3))[0] == D("0.875")  # 0.75 + 0.5 x (1 - 0.75)
    assert policy.ratio("ETH", START - timedelta(days=1))[0] == D("0.75")


@pytest.mark.parametrize(
    ("windows", "asset", "expected"),
    [
        # During UNLOCK's ramp-in (0.75) a flat window at 0.8 is active: the higher ratio wins.
        ((UNLOCK, window(name="cpi", start=START - timedelta(hours=4), end=START, ratio=D("0.8"))), "SOL", "0.8"),
        # A window only for SOL leaves ETH at the base ratio.
        (
            (window(name="sol", start=START - timedelta(hours=4), end=END, ratio=D(1), assets=["SOL"]),),
            "ETH",
            "0.5",
        ),
        # A window may lower the ratio.
        ((window(name="calm", start=START - timedelta(hours=4), end=END, ratio=D("0.2")),), "SOL", "0.2"),
    ],
)
def test_event_window_when_windows_overlap_or_filter_assets_then_documented_ratio(
    windows: tuple[EventWindowSettings, ...], asset: str, expected: str
) -> None:
    policy = EventWindowRatio(FixedRatio(D("0.5")), windows)
    assert policy.ratio(asset, START - timedelta(hours=3))[0] == D(expected)


def test_event_window_when_ramping_then_note_names_window_and_phase() -> None:
    policy = EventWindowRatio(FixedRatio(D("0.5")), (UNLOCK,))
    assert policy.ratio("SOL", START - timedelta(hours=3))[1] == "window 'unlock' ramping in (50% weight)"
    assert policy.ratio("SOL", END + timedelta(hours=1))[1] == "window 'unlock' ramping out (50% weight)"
