"""Request parameters as Bybit reads them (query string or JSON body), with its 10001 errors for bad ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from hedgesim.errors import params_error
from hedgesim.instruments import Category

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS

T = TypeVar("T")
RowKey = tuple[int, str]  # a row's place in its list: (time or sequence, id)


class Params:
    """One request's parameters. Empty strings count as absent, as on Bybit."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        return str(value)

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise params_error(f"{key} is required")
        return value

    def decimal(self, key: str) -> Decimal | None:
        value = self.text(key)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation as exc:
            raise params_error(f"{key} must be a number, got {value!r}") from exc
        if not number.is_finite():
            raise params_error(f"{key} must be a finite number")
        return number

    def integer(self, key: str, default: int | None = None) -> int | None:
        value = self.text(key)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError as exc:
            raise params_error(f"{key} must be an integer, got {value!r}") from exc

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        return value is True or str(value).lower() in ("true", "1")

    def limit(self, default: int, maximum: int) -> int:
        value = self.integer("limit", default)
        assert value is not None
        if not 1 <= value <= maximum:
            raise params_error(f"limit must be between 1 and {maximum}")
        return value

    def category(self) -> str:
        """The category as sent; spot and linear are listed, inverse and option exist but are empty."""
        value = self.required("category")
        if value not in ("spot", "linear", "inverse", "option"):
            raise params_error(f"category {value} is invalid")
        return value

    def trading_category(self) -> Category:
        value = self.category()
        if value not in ("spot", "linear"):
            raise params_error(f"category {value} is not supported by the simulator (spot and linear are)")
        return Category(value)

    def window(self, now_ms: int) -> tuple[int, int]:
        """Bybit's 7-day query window: both ends, one end plus or minus 7 days, or the last 7 days."""
        start, end = self.integer("startTime"), self.integer("endTime")
        if start is None and end is None:
            return now_ms - WEEK_MS, now_ms
        if start is None:
            assert end is not None
            return end - WEEK_MS, end
        if end is None:
            return start, start + WEEK_MS
        if end < start or end - start > WEEK_MS:
            raise params_error("The time range between startTime and endTime must be within 7 days")
        return start, end


def page(
    items: list[T], params: Params, default: int, maximum: int, key: Callable[[T], RowKey], descending: bool
) -> tuple[list[T], str]:
    """One page of ``items`` (sorted by ``key``, newest or last first when ``descending``) and the next page's
    cursor ("" on the last page).

    The cursor names the last row served, in Bybit's style (``id:time,id:time``, URL-encoded), and the next page
    starts after that row wherever it now is: rows that arrive or go between two pages neither repeat nor push
    others out of sight, as they would with an offset.
    """
    limit = params.limit(default, maximum)
    cursor = params.text("cursor")
    if cursor is not None:
        after = _cursor_key(cursor)
        items = [item for item in items if (key(item) < after if descending else key(item) > after)]
    chunk = items[:limit]
    if len(items) <= limit:
        return chunk, ""
    number, name = key(chunk[-1])
    return chunk, quote(f"{name}:{number},{name}:{number}", safe="")


def _cursor_key(cursor: str) -> RowKey:
    name, _, number = unquote(cursor).split(",")[0].rpartition(":")
    try:
        return int(number), name
    except ValueError as exc:
        raise params_error(f"cursor {cursor!r} is invalid") from exc
