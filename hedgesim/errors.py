"""The simulator's errors: a venue reply refusing a request (``SimReject``), and market data it cannot replay.

SimReject .......... the venue said no, as Bybit would: the HTTP layer renders it as the v5 envelope
MarketDataError .... a sample or data file cannot be read, or does not cover the requested start
"""

from __future__ import annotations

from typing import Any


class SimReject(Exception):
    """The simulated exchange refused a request, exactly as Bybit would (``ret_code``, ``message``).

    This is the venue's reply, not a bot error: the Bybit HTTP layer renders it as the v5 envelope, so the
    ccxt client sees the real error; an in-process port wrapping the engine translates it like the ccxt
    adapter translates ccxt's exceptions. ``result`` carries Bybit's payload for the few errors that have one.
    """

    def __init__(self, ret_code: int, message: str, result: dict[str, Any] | None = None) -> None:
        self.ret_code = ret_code
        self.message = message
        self.result = result or {}
        super().__init__(f"{ret_code}: {message}")


def params_error(detail: str) -> SimReject:
    """Bybit's catch-all 10001 for a missing or malformed parameter."""
    return SimReject(10001, f"params error: {detail}")


class MarketDataError(Exception):
    """Market data cannot be read (a missing sample, a malformed file) or does not cover the replay asked for.

    Raised while an exchange is built, before anything is served; the message names the file or sample.
    """
