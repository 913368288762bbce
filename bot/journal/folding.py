"""Runs of unchanged cycles: a quiet cycle that decided what the cycle before it decided extends that cycle's run.

A cycle is *quiet* when it sends and cancels nothing. A quiet cycle is written in full (its cycle, target and
decision rows) and starts a run. The next cycle extends the run instead of writing rows of its own when all hold:

1. it is quiet too, and of the same run of the bot (a restart always writes its first cycle in full);
2. it decided the same (``fold_key``): the trading state, the plan's notes (foreign orders and positions), and every
   decision's holding, instrument, reason, ratio, quantity, position and resting orders; only the figures the prices
   move may differ: prices, values, and a target (with its gap and the note saying it) that drifted within what the
   reason allows (a proxy hedge's target moves with its prices; inside the band nothing is done about it);
3. it falls in the same UTC hour as the run's first cycle (so a price asked for at an hour's edge, such as the start
   of a UTC day in ``hedgebot status``, is the one decided at, never one hours older);
4. nothing else was journaled since (an order or its event, a fill, a funding payment, an error, a trading-state or
   policy-state change): the writer forgets the run whenever another row is written (another run's cycles aside:
   several runs sharing one journal each keep their own run of unchanged cycles).

Extending the run updates its one ``unchanged_cycles`` row in place: how many cycles repeated the first, the last
one's number and time, and its figures (``figures_of``), so the newest decision (``hedgebot journal why``) and the
prices at an hour's edge (``hedgebot status``) are read as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.journal.codec import ms, to_json
from bot.journal.records import CycleRecord

FIGURES = ("target", "gap", "note", "value", "price")  # what a repeated decision may differ in: kept for the last
_UNKEYED = frozenset({"cycle_id", *FIGURES})
_HOUR_MS = 3_600_000

# Extend a run (or start its row): one statement, the run's row updated in place.
EXTEND = """
INSERT INTO unchanged_cycles (cycle_id, repeats, last_number, last_ms, figures) VALUES (?, 1, ?, ?, ?)
ON CONFLICT (cycle_id) DO UPDATE SET repeats = repeats + 1, last_number = excluded.last_number,
    last_ms = excluded.last_ms, figures = excluded.figures
"""


@dataclass(frozen=True, slots=True)
class QuietRun:
    """The run a quiet cycle written in full started: what a later cycle must repeat to extend it."""

    run_id: str
    cycle_id: int
    key: str
    hour: int  # UTC hours since the epoch

    @classmethod
    def started(cls, cycle: CycleRecord, cycle_id: int, key: str) -> QuietRun:
        return cls(cycle.run_id, cycle_id, key, ms(cycle.at) // _HOUR_MS)

    def extended_by(self, cycle: CycleRecord, key: str) -> bool:
        return (cycle.run_id, key, ms(cycle.at) // _HOUR_MS) == (self.run_id, self.key, self.hour)


def fold_key(cycle: CycleRecord, decision_rows: Sequence[Mapping[str, object]]) -> str:
    """What a cycle decided, without the figures its prices move: equal keys, equal decisions."""
    decided = [{k: v for k, v in row.items() if k not in _UNKEYED} for row in decision_rows]
    return to_json([cycle.trading_state.value, cycle.summary.get("notes"), decided])


def figures_of(decision_rows: Sequence[Mapping[str, object]]) -> str:
    """A cycle's figures (``FIGURES``) by decision key (a holding's asset, an instrument's symbol), as JSON."""
    return to_json({row["asset"]: {name: row[name] for name in FIGURES} for row in decision_rows})
