"""The venue's own dead-man's switch over ccxt (OKX cancel-all-after, Binance USD-M countdownCancelAll): a part of
the ccxt adapter, whose venue row (``VenueQuirks.cancel_switch``) says which switch a venue has and how to call it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from bot.errors import VenueUnsupported
from bot.exchange.errors import Call
from bot.exchange.quirks import SwitchCall, SwitchQuirk, VenueQuirks

T = TypeVar("T")


class CcxtSwitch:
    """Mixed into ``CcxtExchange``: ``arm_cancel_switch`` and ``disarm_cancel_switch`` of the port."""

    quirks: VenueQuirks
    perp: Any

    async def _read(self, call: Call, request: Callable[[], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def arm_cancel_switch(self, symbols: Iterable[str], fires_after: timedelta) -> None:
        switch = self._switch()
        bounds = switch.switch
        if fires_after < bounds.min_timeout or (bounds.max_timeout is not None and fires_after > bounds.max_timeout):
            raise ValueError(f"{bounds.name} takes a timeout from {bounds.min_timeout} to {bounds.max_timeout}")
        await self._set_timer(switch, symbols, int(fires_after.total_seconds() * 1000))

    async def disarm_cancel_switch(self, symbols: Iterable[str]) -> None:
        await self._set_timer(self._switch(), symbols, 0)

    def _switch(self) -> SwitchQuirk:
        switch = self.quirks.cancel_switch
        if switch is None or not hasattr(self.perp, switch.method):
            raise VenueUnsupported(f"{self.quirks.exchange} has no dead-man's switch for ordinary accounts")
        return switch

    async def _set_timer(self, switch: SwitchQuirk, symbols: Iterable[str], milliseconds: int) -> None:
        """Set the switch's timer to ``milliseconds`` (0: off): once for the account, or once per symbol. Setting a
        timer is idempotent, so it is retried like a read."""
        method = getattr(self.perp, switch.method)
        name = switch.switch.name
        if switch.call is SwitchCall.UNIFIED_TIMER:
            await self._read(Call(name), partial(method, milliseconds, dict(switch.params)))
            return
        field = switch.timeout_param or "timeout"
        for symbol in sorted(set(symbols)):
            params: dict[str, Any] = {"symbol": self.perp.market(symbol)["id"], field: milliseconds, **switch.params}
            await self._read(Call(name, symbol), partial(method, params))
