"""Bybit v5 request authentication: API key, HMAC-SHA256 signature and the receive window."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from hedgesim.errors import SimReject

DEFAULT_RECV_WINDOW = 5000
AHEAD_TOLERANCE_MS = 1000  # Bybit accepts timestamps up to one second ahead of its clock


def sign(secret: str, timestamp: str, api_key: str, recv_window: str, payload: str) -> str:
    """Bybit's signature: hex HMAC-SHA256 of timestamp + key + recv window + (query string or JSON body)."""
    message = f"{timestamp}{api_key}{recv_window}{payload}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def authenticate(headers: Mapping[str, str], payload: str, keys: Mapping[str, str], server_ms: int) -> str:
    """Check a private request as Bybit does and return its API key; refuse with 10003, 10002 or 10004.

    ``server_ms`` is the venue's wall clock (the machine's clock plus any clock-skew fault): clients sign with
    their machine's time, whatever the simulated market time is.
    """
    api_key = headers.get("X-BAPI-API-KEY", "")
    secret = keys.get(api_key)
    if secret is None:
        raise SimReject(10003, "API key is invalid.")
    timestamp = headers.get("X-BAPI-TIMESTAMP", "")
    recv_window = headers.get("X-BAPI-RECV-WINDOW", str(DEFAULT_RECV_WINDOW))
    try:
        sent_ms, window = int(timestamp), int(recv_window)
    except ValueError as exc:
        raise SimReject(10001, "params error: X-BAPI-TIMESTAMP and X-BAPI-RECV-WINDOW must be integers") from exc
    if not server_ms - window <= sent_ms < server_ms + AHEAD_TOLERANCE_MS:
        raise SimReject(
            10002,
            "invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{sent_ms}],server_timestamp[{server_ms}],recv_window[{window}]",
        )
    expected = sign(secret, timestamp, api_key, recv_window, payload)
    if not hmac.compare_digest(expected, headers.get("X-BAPI-SIGN", "")):
        raise SimReject(10004, "error sign! origin_string[" + f"{timestamp}{api_key}{recv_window}{payload}" + "]")
    return api_key
