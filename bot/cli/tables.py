"""Fitting a rich table into a terminal's width without ever cutting a number.

Rich shrinks a table that is too wide for the terminal by cutting every column short ("5,14…") once wrapping
is not enough. Here the columns are sized instead: a column never gets narrower than its longest word
containing a digit (a price, a quantity, a time), so numbers stay whole, and other words fold onto the next
line. The widest columns give way first, wrapping at spaces; a table that cannot fit so is drawn compactly (no
borders, no padding), and only then may words without digits fold. One that still cannot fit is drawn whole
at the width it needs, wider than the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

UNWRAPPED_WIDTH = 400  # the widest a table gets when printed to a file or pipe
TEXT_FLOOR = 6  # folding words, a column without longer numbers may narrow to this many characters


@dataclass(frozen=True, slots=True)
class _Span:
    natural: int  # the column's widest line, unwrapped
    word: int  # its longest word: narrower, and words fold
    number: int  # its longest number, or TEXT_FLOOR: narrower, and numbers are cut


def natural_width(console: Console, table: Table) -> int:
    """The width of ``table`` with nothing wrapped."""
    return Measurement.get(console, console.options.update_width(UNWRAPPED_WIDTH), table).maximum


def fit(console: Console, table: Table, width: int) -> int:
    """Size ``table``'s columns to fit in ``width`` with every number whole; return the width it will take.

    In order, until one fits: wrapping at spaces only; the same drawn compactly; folding words too.
    """
    spans = [_span(console, column) for column in table.columns]
    needed = _size(console, table, spans, [s.word for s in spans], width)
    if needed > width:
        table.box, table.padding, table.show_edge, table.pad_edge = box.SIMPLE_HEAD, (0, 0), False, False
        needed = _size(console, table, spans, [s.word for s in spans], width)
    if needed > width:
        needed = _size(console, table, spans, [s.number for s in spans], width)
    return needed


def _size(console: Console, table: Table, spans: list[_Span], floors: list[int], width: int) -> int:
    for column in table.columns:
        column.width = None
    frame = natural_width(console, table) - sum(s.natural for s in spans)  # borders and padding
    widths = _widths([s.natural for s in spans], floors, width - frame)
    for column, column_width in zip(table.columns, widths, strict=True):
        column.width, column.overflow = column_width, "fold"
    return frame + sum(widths)


def _widths(naturals: list[int], floors: list[int], room: int) -> list[int]:
    """Each column's width: natural when everything fits, else the widest shrunk first, none below its floor."""
    if sum(naturals) <= room:
        return naturals
    if sum(floors) >= room:
        return floors
    level = max(naturals)
    while sum(max(f, min(n, level)) for n, f in zip(naturals, floors, strict=True)) > room:
        level -= 1
    return [max(f, min(n, level)) for n, f in zip(naturals, floors, strict=True)]


def _span(console: Console, column: Column) -> _Span:
    options = console.options.update_width(UNWRAPPED_WIDTH)
    renderables: list[RenderableType] = [column.header, *column.cells]
    natural = max(Measurement.get(console, options, r).maximum for r in renderables)
    if column.no_wrap:
        return _Span(natural, natural, natural)
    words = list(_words(console, renderables))
    numbers = [cell_len(w) for w in words if any(ch.isdigit() for ch in w)]
    number = max([min(natural, TEXT_FLOOR), *numbers])
    return _Span(natural, max([number, *map(cell_len, words)]), number)


def _words(console: Console, renderables: Iterable[RenderableType]) -> Iterable[str]:
    for renderable in renderables:
        if isinstance(renderable, str):
            renderable = console.render_str(renderable)
        if isinstance(renderable, Text):
            yield from renderable.plain.split()
