"""A broken proxy between ccxt and the simulator: rewrites chosen JSON replies on their way to the bot.

It wraps each ccxt instance's ``fetch`` (HTTP request, then the decoded JSON), so the bot, ccxt's parsing and the
simulator are all real; only the reply's content changes, the way a faulty proxy or a venue bug would change it.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.exchange.ccxt_adapter import CcxtExchange

Edit = Callable[[Any], None]  # changes a decoded reply in place


@dataclass
class _Rule:
    path: str
    edit: Edit
    times: int | None  # None: until cleared
    when: Callable[[str], bool] | None  # only for requests whose full URL passes this test


class Tamper:
    def __init__(self, port: CcxtExchange) -> None:
        self.rules: list[_Rule] = []
        self.applied = 0
        for exchange in port.exchanges:
            exchange.fetch = self._wrap(exchange.fetch)

    def edit(self, path: str, edit: Edit, times: int | None = None, when: Callable[[str], bool] | None = None) -> None:
        """Rewrite replies to requests whose URL path matches the glob ``path`` (and whose URL passes ``when``),
        the next ``times`` of them (None: until cleared)."""
        self.rules.append(_Rule(path, edit, times, when))

    def clear(self) -> None:
        self.rules.clear()

    def _wrap(self, fetch: Callable[..., Any]) -> Callable[..., Any]:
        async def tampered(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
            reply = await fetch(url, method, headers, body)
            path = urlsplit(url).path
            for rule in list(self.rules):
                if not fnmatch.fnmatch(path, rule.path) or (rule.when is not None and not rule.when(url)):
                    continue
                reply = copy.deepcopy(reply)
                rule.edit(reply)
                self.applied += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self.rules.remove(rule)
            return reply

        return tampered


def rows(reply: Any) -> list[dict[str, Any]]:
    """The records of a Bybit v5 list reply."""
    listed: list[dict[str, Any]] = reply["result"]["list"]
    return listed


def coins(reply: Any) -> list[dict[str, Any]]:
    """The coin rows of a /v5/account/wallet-balance reply."""
    found: list[dict[str, Any]] = reply["result"]["list"][0]["coin"]
    return found
