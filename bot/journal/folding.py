"""Runs of unchanged cycles: a quiet cycle that decided what the cycle before it decided extends that cycle's run.

A cycle is *quiet* when it sends and cancels nothing. A quiet cycle is written in full (its cycle, target and
decision rows) and starts a run. The next cycle extends the run instead of writing rows of its own when all hold:

1. it is quiet too, and of the same run of the bot (a restart always writes its first cycle in full);
2. it decided the same (``fold_key``): the trading state, and every decision's holding, instrument, reason, ratio,
   quantity, target, position, resting orders, gap and note; only the prices, and the values at those prices, may
   differ;
3. it falls in the same UTC hour as the run's first cycle (so a price asked for at an hour's edge, such as the start
   of a UTC day in ``hedgebot status``, is the one decided at, never one hours older);
4. nothing else was journaled since (an order or its event, a fill, a funding payment, an error, a trading-state or
   policy-state change): the writer forgets the run whenever another row is written.

Extending the run updates its one ``unchanged_cycles`` row in place: how many cycles repeated the first, the last
one's number and time, and the prices the last one decided at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.journal.codec import ms, to_json
from bot.journal.records import CycleRecord

_PRICED = frozenset({"cycle_id", "value", "price"})  # what a repeated decision may differ in
_HOUR_MS = 3_600_000

# Extend a run (or start its row): one statement, the run's row updated in place.
EXTEND = """
INSERT INTO unchanged_cycles (cycle_id, repeats, last_number, last_ms, prices) VALUES (?, 1, ?, ?, ?)
ON CONFLICT (cycle_id) DO UPDATE SET repeats = repeats + 1, last_number = excluded.last_number,
    last_ms = excluded.last_ms, prices = excluded.prices
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
    """What a cycle decided, without the prices it decided at: equal keys, equal decisions."""
    decided = [{k: v for k, v in row.items() if k not in _PRICED} for row in decision_rows]
    return to_json([cycle.trading_state.value, cycle.summary, decided])


def prices_of(decision_rows: Sequence[Mapping[str, object]]) -> str:
    """The prices a cycle decided at, by decision key (a holding's asset, an instrument's symbol), as JSON."""
    return to_json({row["asset"]: row["price"] for row in decision_rows if row["price"] is not None})
