"""Mutations of recorded venue replies (JSON): what a broken venue, a proxy or an API change might send instead.

A mutation picks one node of a real reply and deletes it, blanks it, replaces it with garbage (NaN, Infinity,
text, a huge number, a value of the wrong type) or a plausible-but-suspicious number (0, -1), or adds a field
nobody asked for. Records inside lists (a position row, an order, a fill) are never deleted: a missing record is
indistinguishable from no record at the parser, and the loop guards against that case instead.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]


class Kind(StrEnum):
    DELETE = "delete"  # the field (or a list element that is not a record) is gone
    EMPTY = "empty"  # null or ""
    GARBAGE = "garbage"  # never a valid value anywhere
    PLAUSIBLE = "plausible"  # a real number that may or may not be valid where it lands (0, -1)
    EXTRA = "extra"  # an extra field in a record: must change nothing


GARBAGE: tuple[Any, ...] = (
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "1e30",
    "-1e30",
    "9" * 40,
    10**30,
    "abc",
    "1,5",
    "0x1A",
    math.nan,
    math.inf,
    -math.inf,
    True,
    [],
    {},
    [["1", "2"]],
    {"value": "1"},
)
EMPTY: tuple[Any, ...] = (None, "")
PLAUSIBLE: tuple[Any, ...] = ("0", 0, "-0", "-1", -1, "-0.5", "0.00000001")
ZERO_LIKE: tuple[Any, ...] = ("0", 0, "-0")


@dataclass(frozen=True)
class Mutation:
    path: Path
    kind: Kind
    value: Any = None
    in_record: bool = False  # the node is (inside) a record of a list: a row, a coin, an order

    @property
    def zero_like(self) -> bool:
        return self.kind is Kind.PLAUSIBLE and any(self.value == z and type(self.value) is type(z) for z in ZERO_LIKE)

    def touches(self, lists: tuple[Path, ...]) -> bool:
        """Whether the mutation hits one of these lists of records (or a parent of it), or one of its records."""
        return any(rows[: len(self.path)] == self.path or self.path[: len(rows)] == rows for rows in lists)

    @property
    def loses_information(self) -> bool:
        """Deleted, blanked or garbled: the parser may report less than before, never something else."""
        return self.kind in (Kind.DELETE, Kind.EMPTY, Kind.GARBAGE)

    def describe(self) -> str:
        where = "".join(f"[{p!r}]" for p in self.path)
        return f"{self.kind.value} {where}" + ("" if self.kind is Kind.DELETE else f" = {self.value!r}")


def nodes(document: Any, prefix: Path = ()) -> list[tuple[Path, Any, Any]]:
    """Every node below the root as (path, value, parent)."""
    found: list[tuple[Path, Any, Any]] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(document, dict):
        items = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    for key, value in items:
        path = (*prefix, key)
        found.append((path, value, document))
        found.extend(nodes(value, path))
    return found


def apply(document: Any, mutation: Mutation) -> Any:
    """A mutated deep copy of ``document``."""
    mutated = copy.deepcopy(document)
    *parents, last = mutation.path
    parent = mutated
    for key in parents:
        parent = parent[key]
    if mutation.kind is Kind.DELETE:
        del parent[last]
    elif mutation.kind is Kind.EXTRA:
        parent[last]["zz_unexpected_field"] = mutation.value
    else:
        parent[last] = mutation.value
    return mutated


@st.composite
def mutations(draw: st.DrawFn, document: Any, *, skip: tuple[str, ...] = ()) -> Mutation:
    """One mutation of ``document``; keys named in ``skip`` (and everything below them) are left alone."""
    candidates = [(path, value, parent) for path, value, parent in nodes(document) if not set(path) & set(skip)]
    path, value, parent = draw(st.sampled_from(candidates))
    in_record = any(isinstance(v, dict) and isinstance(p, list) for q, v, p in candidates if path[: len(q)] == q)
    kinds = [Kind.EMPTY, Kind.GARBAGE, Kind.PLAUSIBLE]
    if not (isinstance(parent, list) and isinstance(value, dict)):
        kinds.append(Kind.DELETE)
    if isinstance(value, dict):
        kinds.append(Kind.EXTRA)
    kind = draw(st.sampled_from(kinds))
    pools = {Kind.EMPTY: EMPTY, Kind.GARBAGE: GARBAGE, Kind.PLAUSIBLE: PLAUSIBLE, Kind.EXTRA: ("surprise",)}
    value = None if kind is Kind.DELETE else draw(st.sampled_from(pools[kind]))
    return Mutation(path, kind, value, in_record)
