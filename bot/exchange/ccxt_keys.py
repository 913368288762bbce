"""The API key's permissions over ccxt (Bybit /v5/user/query-api, Binance /sapi/v1/account/apiRestrictions, OKX
/api/v5/account/config): a part of the ccxt adapter, whose venue row (``VenueQuirks.key_info``) says which record a
venue keeps and through which raw endpoint. Each record is read into the port's ``KeyPermissions``; a record that
does not say what it must is a ``DataError``, never read as "cannot withdraw"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from bot.clock import utc_from_ms
from bot.errors import DataError, VenueUnsupported
from bot.exchange.errors import Call
from bot.exchange.port import KeyPermissions
from bot.exchange.quirks import KeyReport, VenueQuirks

T = TypeVar("T")


class CcxtKeys:
    """Mixed into ``CcxtExchange``: ``fetch_key_permissions`` of the port."""

    quirks: VenueQuirks
    spot: Any
    perp: Any

    async def _read(self, call: Call, request: Callable[[], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def fetch_key_permissions(self) -> KeyPermissions:
        info = self.quirks.key_info
        exchange = self.spot if info is not None and info.on_spot else self.perp
        if info is None or not hasattr(exchange, info.method):
            raise VenueUnsupported(f"{self.quirks.exchange} does not tell what an API key may do")
        raw = await self._read(Call("fetch_key_permissions"), getattr(exchange, info.method))
        return read_key_record(self.quirks.exchange, info.report, raw)


def read_key_record(exchange: str, report: KeyReport, raw: Any) -> KeyPermissions:
    """The key's permissions from the venue's reply (``report`` says which kind); ``DataError`` if unreadable."""
    try:
        return _READERS[report](raw)
    except (LookupError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{exchange}: the API key's record could not be read: {exc!r}") from exc


def _bybit(raw: Any) -> KeyPermissions:
    """/v5/user/query-api's ``result``: ``readOnly`` 0/1, ``permissions`` by product (Wallet: AccountTransfer,
    SubMemberTransfer, Withdraw), ``ips`` (["*"]: any address), ``expiredAt`` (empty: never)."""
    record = raw["result"]
    permissions: Mapping[str, list[str]] = record["permissions"]
    wallet = set(permissions.get("Wallet") or ())
    read_only = _flag(record["readOnly"])
    trades = bool(permissions.get("ContractTrade") or permissions.get("Derivatives"))
    expires = record.get("expiredAt") or None
    return KeyPermissions(
        trade=trades and not read_only,
        withdraw="Withdraw" in wallet,
        transfer=bool(wallet & {"AccountTransfer", "SubMemberTransfer"}),
        ip_restricted=[ip for ip in record["ips"] if ip != "*"] != [],
        expires_at=datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None,
    )


def _binance(raw: Any) -> KeyPermissions:
    """/sapi/v1/account/apiRestrictions: ``enableFutures``, ``enableWithdrawals``, ``enableInternalTransfer``,
    ``permitsUniversalTransfer``, ``ipRestrict``, and ``tradingAuthorityExpirationTime`` (ms) if trading expires."""
    expires = raw.get("tradingAuthorityExpirationTime")
    return KeyPermissions(
        trade=_flag(raw["enableFutures"]),
        withdraw=_flag(raw["enableWithdrawals"]),
        transfer=_flag(raw["enableInternalTransfer"]) or _flag(raw.get("permitsUniversalTransfer", False)),
        ip_restricted=_flag(raw["ipRestrict"]),
        expires_at=utc_from_ms(expires) if expires else None,
    )


def _okx(raw: Any) -> KeyPermissions:
    """/api/v5/account/config's ``data[0]``: ``perm`` ("read_only,trade,withdraw") and ``ip`` (bound addresses,
    comma-separated; empty: any). OKX reports no separate transfer permission and no expiry."""
    record = raw["data"][0]
    perm = {part.strip() for part in str(record["perm"]).split(",")}
    return KeyPermissions(
        trade="trade" in perm,
        withdraw="withdraw" in perm,
        transfer=False,
        ip_restricted=bool(str(record["ip"]).strip()),
    )


def _flag(value: Any) -> bool:
    """A venue's boolean: true/false, 1/0 or their text; anything else is unreadable."""
    if isinstance(value, bool):
        return value
    if str(value).lower() in {"1", "true"}:
        return True
    if str(value).lower() in {"0", "false"}:
        return False
    raise ValueError(f"{value!r} is not a yes or no")


_READERS: Mapping[KeyReport, Callable[[Any], KeyPermissions]] = {
    KeyReport.BYBIT_QUERY_API: _bybit,
    KeyReport.BINANCE_API_RESTRICTIONS: _binance,
    KeyReport.OKX_ACCOUNT_CONFIG: _okx,
}
