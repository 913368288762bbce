"""Bybit's rate limits: a per-key budget per endpoint each second (10006) and a per-IP limit (HTTP 403 ban).

Both as docs/v5/rate-limit/rate-limit states them: "600 requests within a 5-second window per IP", then a 403
"access too frequent" ban (10 minutes); per endpoint, a rolling one-second window per UID (here: per key), whose
limit the route table (``hedgesim.bybit.app.ROUTES``) takes from the documentation's table.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

IP_LIMIT = 600
IP_WINDOW_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Budget:
    """What the X-Bapi-Limit headers report: the limit, what is left, and when the window resets (ms)."""

    limit: int
    remaining: int
    reset_ms: int
    allowed: bool


class KeyLimiter:
    """Rolling one-second windows per (API key, endpoint), as Bybit counts them."""

    def __init__(self, enforce: bool, clock: Callable[[], float] = time.time) -> None:
        self._enforce = enforce
        self._clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def hit(self, api_key: str, path: str, limit: int) -> Budget:
        now = self._clock()
        hits = self._hits.setdefault((api_key, path), deque())
        while hits and hits[0] <= now - 1.0:
            hits.popleft()
        if self._enforce and len(hits) >= limit:
            return Budget(limit, 0, int((hits[0] + 1.0) * 1000), False)
        hits.append(now)
        return Budget(limit, max(0, limit - len(hits)), int(now * 1000), True)


class IpLimiter:
    """600 requests per 5 seconds per IP; beyond that the IP is banned for ``ban_seconds`` (HTTP 403)."""

    def __init__(self, enforce: bool, ban_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._enforce = enforce
        self._ban_seconds = ban_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._banned_until: dict[str, float] = {}

    def allow(self, ip: str) -> bool:
        if not self._enforce:
            return True
        now = self._clock()
        if self._banned_until.get(ip, 0.0) > now:
            return False
        hits = self._hits.setdefault(ip, deque())
        while hits and hits[0] <= now - IP_WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= IP_LIMIT:
            self._banned_until[ip] = now + self._ban_seconds
            hits.clear()
            return False
        hits.append(now)
        return True
