"""The journal: an append-only SQLite record of every decision, order, fill and funding payment.

journal = open_journal(journal_path(config), clock)      # the bot: the one writer
reader = open_reader(path)                                # `hedgebot journal`: read-only, while the bot runs
"""

from pathlib import Path

from bot.config import AppConfig
from bot.journal.reader import JournalReader, open_reader
from bot.journal.records import (
    CycleRecord,
    CycleRow,
    DecisionRecord,
    ExplainedPosition,
    FundingTotal,
    JournalFill,
    JournalOrder,
    OrderEventKind,
    OrderOrigin,
    OrderTicket,
    WhyRow,
)
from bot.journal.schema import SCHEMA_VERSION
from bot.journal.writer import Journal, open_journal


def journal_path(config: AppConfig) -> Path:
    """``[journal] path``; a relative path is relative to the configuration file's folder (like secrets_file)."""
    path = config.journal.path
    if path.is_absolute() or config.source is None:
        return path
    return config.source.parent / path


__all__ = [
    "SCHEMA_VERSION",
    "CycleRecord",
    "CycleRow",
    "DecisionRecord",
    "ExplainedPosition",
    "FundingTotal",
    "Journal",
    "JournalFill",
    "JournalOrder",
    "JournalReader",
    "OrderEventKind",
    "OrderOrigin",
    "OrderTicket",
    "WhyRow",
    "journal_path",
    "open_journal",
    "open_reader",
]
