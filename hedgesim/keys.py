"""The API key's own record: what it may do (read only, trade, transfer, withdraw), from where, until when.

As /v5/user/query-api shows it (docs/v5/user/apikey-info: ``readOnly`` 0 or 1, ``permissions`` by product,
``ips`` bound, ``expiredAt``/``deadlineDay`` for a key bound to no IP) and as Bybit enforces it: a read-only key
or one without the product's trade permission is refused on writes with 10005, a request from an address the key
is not bound to with 10010, an expired key with 33004 (docs/v5/error).

A key is written as a comma-separated list (``hedgebot sim --key-permissions``, the control API, ``parse``):
``read-only``; ``trade`` (contracts and spot), or ``contract`` / ``spot`` alone; ``transfer`` (AccountTransfer);
``withdraw``; ``ip=ADDRESS`` (repeatable: the key works from those addresses only); ``expires=ISO8601`` (a date
or a time, UTC unless it says otherwise). The default, ``trade``, trades and can neither transfer nor withdraw.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from hedgesim.errors import SimReject

ORDER_PATHS = ("/v5/order/create", "/v5/order/cancel", "/v5/order/cancel-all")
DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class KeyPermissions:
    """One API key's permissions, address binding and expiry."""

    read_only: bool = False
    contract_trade: bool = True  # ContractTrade: Order, Position
    spot_trade: bool = True  # Spot: SpotTrade
    transfer: bool = False  # Wallet: AccountTransfer
    withdraw: bool = False  # Wallet: Withdraw
    ips: tuple[str, ...] = ()  # the addresses it works from; () any ("*")
    expires: datetime | None = None

    @classmethod
    def parse(cls, spec: str) -> KeyPermissions:
        """A key from its written form (see the module docstring); ValueError names what it cannot read."""
        flags = {"read_only": False, "contract_trade": False, "spot_trade": False, "transfer": False, "withdraw": False}
        ips: list[str] = []
        expires: datetime | None = None
        words = {"read-only": ("read_only",), "trade": ("contract_trade", "spot_trade"), "contract": ("contract_trade",),
                 "spot": ("spot_trade",), "transfer": ("transfer",), "withdraw": ("withdraw",)}  # fmt: skip
        for item in (part.strip() for part in spec.split(",") if part.strip()):
            name, _, value = item.partition("=")
            try:
                if name in words and not value:
                    flags.update(dict.fromkeys(words[name], True))
                elif name == "ip" and value:
                    ips.append(str(ipaddress.ip_address(value)))
                elif name == "expires" and value:
                    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                    expires = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
                else:
                    raise ValueError("unknown")
            except ValueError as exc:
                raise ValueError(
                    f"{item!r}: expected read-only, trade, contract, spot, transfer, withdraw, ip=ADDRESS or "
                    "expires=ISO8601"
                ) from exc
        return cls(ips=tuple(ips), expires=expires, **flags)

    def permissions(self) -> dict[str, list[str]]:
        """Bybit's ``permissions`` object."""
        wallet = (["AccountTransfer"] if self.transfer else []) + (["Withdraw"] if self.withdraw else [])
        empty: dict[str, list[str]] = {name: [] for name in ("Options", "CopyTrading", "BlockTrade", "Exchange", "NFT",
                                                             "Affiliate", "Earn")}  # fmt: skip
        return empty | {
            "ContractTrade": ["Order", "Position"] if self.contract_trade else [],
            "Derivatives": ["DerivativesTrade"] if self.contract_trade else [],
            "Spot": ["SpotTrade"] if self.spot_trade else [],
            "Wallet": wallet,
        }

    def expiry(self, now: datetime) -> tuple[int, str]:
        """(``deadlineDay``, ``expiredAt``): whole days left and the moment, for a key bound to no address that
        expires; (-1, "") otherwise."""
        if self.expires is None or self.ips:
            return -1, ""
        days = math.ceil((self.expires - now).total_seconds() / DAY_SECONDS)
        return days, self.expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def refusal(self, path: str, method: str, category: str | None, address: str, now: datetime) -> SimReject | None:
        """Why Bybit refuses this key the request, or None."""
        if self.expires is not None and not self.ips and now >= self.expires:
            return SimReject(33004, "Your api key has expired.")
        if self.ips and address not in self.ips:
            return SimReject(10010, "Unmatched IP, please check your API key's bound IP addresses.")
        if method != "POST":
            return None
        allowed = not self.read_only and (
            self.spot_trade if path in ORDER_PATHS and category == "spot" else self.contract_trade
        )
        return None if allowed else SimReject(10005, "Permission denied, please check your API key permissions.")
