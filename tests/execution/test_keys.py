"""Specification of the start-up check of the API key (``bot.execution.keys``): unattended, a key that can move
funds off the account is refused with why and how to make a trade-only key, unless the venue accepts it; a key
whose permissions cannot be read is refused unattended on a live venue; warnings for no IP binding, near expiry
and no derivatives trading."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.config import VenueConfig
from bot.errors import ExchangeUnavailable, PreflightError, VenueUnsupported
from bot.exchange.port import KeyPermissions
from bot.execution.keys import check_key, judge_key
from bot.exit_codes import EXIT_FAILED, EXIT_NEEDS_OPERATOR, refusal_code
from bot.settings import VenueMode, VenueSettings
from bot.settings.from_config import venue_settings
from tests.exchange.fake_port import FakePort
from tests.factories import NOW

TRADE_ONLY = KeyPermissions(trade=True, withdraw=False, transfer=False, ip_restricted=True)
CAN_WITHDRAW = replace(TRADE_ONLY, withdraw=True)
CAN_TRANSFER = replace(TRADE_ONLY, transfer=True)


def venue(mode: VenueMode = VenueMode.LIVE, *, allow: bool = False) -> VenueSettings:
    """A Bybit venue "main" in ``mode`` (its configuration's defaults otherwise)."""
    url = "http://127.0.0.1:8765" if mode is VenueMode.SIM else None
    config = VenueConfig(exchange="bybit", mode=mode, url=url, credentials="MAIN", allow_withdrawal_key=allow)
    return venue_settings("main", config)


@pytest.mark.parametrize(
    ("key", "mode", "unattended", "allow", "refused"),
    [
        (TRADE_ONLY, VenueMode.LIVE, True, False, False),
        (CAN_WITHDRAW, VenueMode.LIVE, True, False, True),
        (CAN_TRANSFER, VenueMode.LIVE, True, False, True),
        (CAN_WITHDRAW, VenueMode.SIM, True, False, True),
        (CAN_WITHDRAW, VenueMode.LIVE, True, True, False),
        (CAN_WITHDRAW, VenueMode.LIVE, False, False, False),
        (None, VenueMode.LIVE, True, False, True),
        (None, VenueMode.LIVE, True, True, False),
        (None, VenueMode.DEMO, True, False, False),
        (None, VenueMode.LIVE, False, False, False),
    ],
    ids=[
        "trade-only key: accepted",
        "can withdraw, unattended: refused",
        "can transfer, unattended: refused",
        "can withdraw, unattended on the simulator: refused",
        "can withdraw, allow_withdrawal_key: accepted",
        "can withdraw, a person approves each order: accepted",
        "unknown, unattended live: refused",
        "unknown, allow_withdrawal_key: accepted",
        "unknown, unattended demo: accepted",
        "unknown, a person approves: accepted",
    ],
)
def test_judge_key_when_the_key_may_move_funds_then_refused_only_unattended_and_not_allowed(
    key: KeyPermissions | None, mode: VenueMode, unattended: bool, allow: bool, refused: bool
) -> None:
    verdict = judge_key(venue(mode, allow=allow), key, "VenueUnsupported: no record", unattended=unattended, now=NOW)
    assert (verdict.refusal is not None) == refused
    if key is not TRADE_ONLY:  # accepted or not, it is said
        assert verdict.refusal or verdict.warnings


def test_judge_key_when_refused_then_the_message_says_why_and_how_to_make_a_trade_only_key() -> None:
    verdict = judge_key(venue(), CAN_WITHDRAW, "", unattended=True, now=NOW)
    assert verdict.refusal is not None
    assert "main: the API key can withdraw: whoever takes it can move funds off the account" in verdict.refusal
    assert "make a trade-only key" in verdict.refusal
    assert "no withdrawal and no transfer" in verdict.refusal
    assert "allow_withdrawal_key = true under [venues.main]" in verdict.refusal


@pytest.mark.parametrize(
    ("key", "mode", "warning"),
    [
        (replace(TRADE_ONLY, ip_restricted=False), VenueMode.LIVE, "bound to no IP address"),
        (replace(TRADE_ONLY, expires_at=NOW + timedelta(days=3)), VenueMode.LIVE, "expires at 2025-10-13 12:00 UTC"),
        (replace(TRADE_ONLY, trade=False), VenueMode.LIVE, "cannot trade derivatives"),
        (CAN_WITHDRAW, VenueMode.LIVE, "can withdraw"),
    ],
    ids=["no IP binding", "expires within a week", "cannot trade", "can withdraw, a person approves"],
)
def test_judge_key_when_worth_knowing_then_a_warning(key: KeyPermissions, mode: VenueMode, warning: str) -> None:
    verdict = judge_key(venue(mode), key, "", unattended=False, now=NOW)
    assert verdict.refusal is None
    assert any(warning in w for w in verdict.warnings), verdict.warnings


@pytest.mark.parametrize(
    "key",
    [TRADE_ONLY, replace(TRADE_ONLY, ip_restricted=False), replace(TRADE_ONLY, expires_at=NOW + timedelta(days=8))],
    ids=["bound to an address", "the simulator's key: bound to none", "expires in more than a week"],
)
def test_judge_key_when_nothing_to_say_then_no_warning(key: KeyPermissions) -> None:
    mode = VenueMode.LIVE if key.ip_restricted else VenueMode.SIM
    assert judge_key(venue(mode), key, "", unattended=True, now=NOW).warnings == ()


@pytest.mark.parametrize(
    ("failure", "code"),
    [(ExchangeUnavailable("503"), EXIT_FAILED), (VenueUnsupported("no record"), EXIT_NEEDS_OPERATOR)],
    ids=["venue unreachable: retried later", "venue does not tell: a person decides"],
)
async def test_check_key_when_live_and_unreadable_then_refused_with_the_exit_code_its_cause_calls_for(
    failure: Exception, code: int
) -> None:
    port = FakePort()
    port.failures["fetch_key_permissions"] = failure
    with pytest.raises(PreflightError, match="cannot be read") as refused:
        await check_key(port, venue(), ManualClock(NOW), unattended=True)
    assert refusal_code(refused.value) == code
