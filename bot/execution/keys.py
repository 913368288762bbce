"""The API key's permissions, checked at start-up: unattended, a key that could move funds off the account is
refused, with why and how to make a trade-only key.

Read through the port (``ExchangePort.fetch_key_permissions``) after the preflight's reads and before any write (a
refused key has changed no setting at the venue). ``judge_key`` decides:

1. unattended (approval "auto"), a key that can withdraw or transfer is refused, unless the venue's
   ``allow_withdrawal_key = true`` accepts it (then a warning);
2. a key whose permissions cannot be read counts as unknown: refused unattended on a live venue unless
   ``allow_withdrawal_key`` accepts it, a warning otherwise;
3. warnings: a key bound to no IP address (testnet, demo, live: the simulator's key is local), a key (or its
   trading permission) expiring within ``EXPIRY_WARNING``, a key that cannot trade derivatives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from bot.clock import Clock
from bot.errors import DataError, ExchangeError, PreflightError
from bot.exchange.port import ExchangePort, KeyPermissions
from bot.settings import VenueMode, VenueSettings

log = structlog.get_logger(__name__)

EXPIRY_WARNING = timedelta(days=7)

TRADE_ONLY_KEY = (
    "make a trade-only key: read and derivatives (contract) trading, no withdrawal and no transfer, bound to this "
    "server's IP address; or, to accept this key anyway, set allow_withdrawal_key = true under [venues.{venue}]"
)


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """What to do with the key: refuse it (``refusal``, the message) or go on, with ``warnings`` either way."""

    refusal: str | None
    warnings: tuple[str, ...] = ()


def judge_key(
    venue: VenueSettings, key: KeyPermissions | None, unknown_because: str, *, unattended: bool, now: datetime
) -> KeyVerdict:
    """The verdict on ``key`` (None: it could not be read, ``unknown_because`` says why) for a run on ``venue``."""
    how = TRADE_ONLY_KEY.format(venue=venue.name)
    allowed = venue.allow_withdrawal_key
    if key is None:
        what = (
            f"{venue.name}: the API key's permissions cannot be read ({unknown_because}), so it may be able to withdraw"
        )
        if unattended and venue.mode is VenueMode.LIVE and not allowed:
            return KeyVerdict(f"{what}: refusing to trade unattended with it; {how}")
        return KeyVerdict(None, (what,))
    warnings: list[str] = []
    risky = [name for name, can in (("withdraw", key.withdraw), ("transfer funds", key.transfer)) if can]
    if risky:
        what = f"{venue.name}: the API key can {' and '.join(risky)}: whoever takes it can move funds off the account"
        if unattended and not allowed:
            return KeyVerdict(f"{what}; refusing to trade unattended with it: {how}")
        warnings.append(what + (" (accepted: allow_withdrawal_key = true)" if allowed else ""))
    if not key.ip_restricted and venue.mode is not VenueMode.SIM:
        warnings.append(f"{venue.name}: the API key is bound to no IP address: bind it to this server's address")
    if key.expires_at is not None and key.expires_at - now <= EXPIRY_WARNING:
        warnings.append(
            f"{venue.name}: the API key (or its trading permission) expires at {key.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    if not key.trade:
        warnings.append(f"{venue.name}: the API key cannot trade derivatives: orders will be refused")
    return KeyVerdict(None, tuple(warnings))


async def check_key(port: ExchangePort, venue: VenueSettings, clock: Clock, *, unattended: bool) -> KeyVerdict:
    """Read the key's permissions and judge them; raises ``PreflightError`` when the key is refused (caused by the
    failed read, if that is why: a venue that did not answer is retried later, exit 1), logs every warning."""
    key: KeyPermissions | None = None
    failure: Exception | None = None
    try:
        key = await port.fetch_key_permissions()
    except (ExchangeError, DataError) as exc:
        failure = exc
        log.warning("key.permissions_unread", venue=venue.name, error=str(exc))
    verdict = judge_key(venue, key, str(failure), unattended=unattended, now=clock.now())
    if verdict.refusal is not None:
        raise PreflightError(verdict.refusal) from failure
    for warning in verdict.warnings:
        log.warning("key.warning", venue=venue.name, warning=warning)
    if key is not None:
        log.info(
            "key.permissions",
            venue=venue.name,
            trade=key.trade,
            withdraw=key.withdraw,
            transfer=key.transfer,
            ip_restricted=key.ip_restricted,
            expires_at=key.expires_at,
        )
    return verdict
