"""The journal: an append-only SQLite record of every decision, order, fill and funding payment.

journal = open_journal(path, clock)   # the bot: the one writer ([journal] path: bot.settings.from_config.journal_path)
reader = open_reader(path)             # `hedgebot journal`: read-only, while the bot runs
"""

from bot.journal.reader import JournalReader, open_reader
from bot.journal.records import (
    AlertCondition,
    CycleRecord,
    CycleRow,
    DecisionRecord,
    ExplainedPosition,
    FundingTotal,
    HoldingDecisionRecord,
    HoldingWatch,
    InstrumentDecisionRecord,
    JournalFill,
    JournalOrder,
    OrderEventKind,
    OrderOrigin,
    OrderTicket,
    WatchState,
    WhyRow,
)
from bot.journal.schema import SCHEMA_VERSION
from bot.journal.writer import Journal, open_journal

__all__ = [
    "SCHEMA_VERSION",
    "AlertCondition",
    "CycleRecord",
    "CycleRow",
    "DecisionRecord",
    "ExplainedPosition",
    "FundingTotal",
    "HoldingDecisionRecord",
    "HoldingWatch",
    "InstrumentDecisionRecord",
    "Journal",
    "JournalFill",
    "JournalOrder",
    "JournalReader",
    "OrderEventKind",
    "OrderOrigin",
    "OrderTicket",
    "WatchState",
    "WhyRow",
    "open_journal",
    "open_reader",
]
