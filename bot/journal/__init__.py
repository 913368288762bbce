"""The journal: an append-only SQLite record of every decision, order, fill and funding payment.

journal = open_journal(path, clock)   # the bot: the one writer ([journal] path: bot.settings.from_config.journal_path)
reader = open_reader(path)             # `hedgebot journal`: read-only, while the bot runs
"""

from bot.journal.reader import JournalReader, open_reader
from bot.journal.records import (
    CycleRecord,
    CycleRow,
    DecisionRecord,
    ExplainedPosition,
    FundingTotal,
    HoldingDecisionRecord,
    InstrumentDecisionRecord,
    JournalFill,
    JournalOrder,
    OrderEventKind,
    OrderOrigin,
    OrderTicket,
    WhyRow,
)
from bot.journal.schema import SCHEMA_VERSION
from bot.journal.writer import Journal, open_journal

__all__ = [
    "SCHEMA_VERSION",
    "CycleRecord",
    "CycleRow",
    "DecisionRecord",
    "ExplainedPosition",
    "FundingTotal",
    "HoldingDecisionRecord",
    "InstrumentDecisionRecord",
    "Journal",
    "JournalFill",
    "JournalOrder",
    "JournalReader",
    "OrderEventKind",
    "OrderOrigin",
    "OrderTicket",
    "WhyRow",
    "open_journal",
    "open_reader",
]
