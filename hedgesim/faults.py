"""Transport faults on demand: latency, hangs, HTTP errors, maintenance, rate limits, bans, lost replies, skew, cuts."""

from __future__ import annotations

import fnmatch
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

DEFAULT_HOLD_SECONDS = 300.0  # how long a hung request or a lost reply is held when no delay is given


class FaultKind(StrEnum):
    LATENCY = "latency"  # answer after ``delay`` seconds
    HANG = "hang"  # hold the request ``delay`` seconds (or until shutdown), process nothing, answer 504
    HTTP_ERROR = "http_error"  # answer HTTP ``status`` (e.g. 500, 502), process nothing
    MAINTENANCE = "maintenance"  # answer HTTP 503, process nothing
    RATE_LIMIT = "rate_limit"  # answer retCode 10006 "Too many visits!", process nothing
    IP_BAN = "ip_ban"  # answer HTTP 403 (Bybit's IP ban), process nothing
    LOSE_RESPONSE = "lose_response"  # process the request, then never answer (the client times out)
    CLOCK_SKEW = "clock_skew"  # the venue's clock runs ``skew_ms`` ahead (negative: behind) for signatures
    NETWORK_CUT = "network_cut"  # drop the connection without an answer, process nothing (the client sees a reset)


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault and its scope: requests whose path matches the glob ``path`` (and ``method``, if set), for
    the next ``times`` such requests and/or for ``seconds`` after it is added; unlimited when both are None."""

    kind: FaultKind
    path: str = "/v5/*"
    method: str | None = None
    times: int | None = None
    seconds: float | None = None
    delay: float = 0.0
    status: int = 500
    skew_ms: int = 0

    @property
    def hold_seconds(self) -> float:
        return self.delay or DEFAULT_HOLD_SECONDS

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """A fault from the control API's JSON (unknown keys are errors)."""
        allowed = {"kind", "path", "method", "times", "seconds", "delay", "status", "skew_ms"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(
            kind=FaultKind(data["kind"]),
            path=str(data.get("path", "/v5/*")),
            method=str(data["method"]).upper() if data.get("method") else None,
            times=int(data["times"]) if data.get("times") is not None else None,
            seconds=float(data["seconds"]) if data.get("seconds") is not None else None,
            delay=float(data.get("delay", 0.0)),
            status=int(data.get("status", 500)),
            skew_ms=int(data.get("skew_ms", 0)),
        )


@dataclass(frozen=True, slots=True)
class ActiveFault:
    fault_id: str
    fault: Fault
    remaining: int | None
    expires: float | None


class FaultPlan:
    """The faults in force. ``take`` returns (and counts) those hitting one request."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self._active: dict[str, ActiveFault] = {}

    def add(self, fault: Fault) -> str:
        fault_id = f"f{next(self._ids)}"
        expires = self._clock() + fault.seconds if fault.seconds is not None else None
        self._active[fault_id] = ActiveFault(fault_id, fault, fault.times, expires)
        return fault_id

    def remove(self, fault_id: str) -> None:
        self._active.pop(fault_id, None)

    def clear(self) -> None:
        self._active.clear()

    def active(self) -> list[ActiveFault]:
        self._expire()
        return list(self._active.values())

    def take(self, method: str, path: str) -> list[Fault]:
        if not self._active:
            return []
        self._expire()
        hits = []
        for fault_id, entry in list(self._active.items()):
            fault = entry.fault
            if fault.method not in (None, method) or not fnmatch.fnmatchcase(path, fault.path):
                continue
            hits.append(fault)
            if entry.remaining is not None:
                if entry.remaining <= 1:
                    del self._active[fault_id]
                else:
                    self._active[fault_id] = replace(entry, remaining=entry.remaining - 1)
        return hits

    def _expire(self) -> None:
        now = self._clock()
        for fault_id, entry in list(self._active.items()):
            if entry.expires is not None and entry.expires <= now:
                del self._active[fault_id]
