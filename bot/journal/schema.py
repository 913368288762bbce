"""The journal's SQLite schema: versioned migrations, append-only triggers, and connection settings.

Every table of events is append-only (triggers refuse UPDATE and DELETE): events are rows, and current state (an
order's status, a position the fills explain) comes from views and queries. Two tables are kept up to date in place
instead, and never lose a row (triggers refuse DELETE): ``heartbeats`` (one row per run: its latest sign of life, a
liveness signal, not history) and ``unchanged_cycles`` (one row per run of cycles that decided the same as the cycle
it extends: ``bot.journal.folding``). Decimals are TEXT (exact), times are INTEGER milliseconds since the epoch,
UTC. The schema version is ``PRAGMA user_version``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.errors import JournalError

_TABLES_V1 = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    mode TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE run_stops (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id),
    stopped_ms INTEGER NOT NULL,
    exit_code INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE cycles (
    cycle_id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    number INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    trading_state TEXT NOT NULL,
    holdings_value TEXT NOT NULL,
    hedge_notional TEXT NOT NULL,
    summary TEXT NOT NULL,
    UNIQUE (run_id, number)
);
CREATE TABLE targets (
    cycle_id INTEGER NOT NULL REFERENCES cycles (cycle_id),
    symbol TEXT NOT NULL,
    contracts TEXT NOT NULL,
    notional TEXT NOT NULL,
    components TEXT NOT NULL,
    notes TEXT NOT NULL,
    PRIMARY KEY (cycle_id, symbol)
);
CREATE TABLE decisions (
    decision_id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES cycles (cycle_id),
    asset TEXT NOT NULL,
    symbol TEXT,
    reason TEXT NOT NULL,
    value TEXT,
    ratio TEXT,
    target TEXT,
    current TEXT,
    in_flight TEXT,
    gap TEXT,
    note TEXT NOT NULL
);
CREATE INDEX decisions_by_asset ON decisions (asset, cycle_id);
CREATE TABLE intents (
    intent_id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES cycles (cycle_id),
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    amount TEXT NOT NULL,
    price TEXT NOT NULL,
    reduce_only INTEGER NOT NULL,
    post_only INTEGER NOT NULL,
    reason TEXT NOT NULL,
    notional TEXT NOT NULL,
    replaces TEXT,
    note TEXT NOT NULL
);
CREATE INDEX intents_by_cycle ON intents (cycle_id, symbol);
CREATE TABLE risk_decisions (
    risk_decision_id INTEGER PRIMARY KEY,
    intent_id INTEGER NOT NULL REFERENCES intents (intent_id),
    at_ms INTEGER NOT NULL,
    stage TEXT NOT NULL,
    approved INTEGER NOT NULL
);
CREATE INDEX risk_decisions_by_intent ON risk_decisions (intent_id);
CREATE TABLE risk_denials (
    risk_decision_id INTEGER NOT NULL REFERENCES risk_decisions (risk_decision_id),
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    value TEXT,
    limit_value TEXT,
    PRIMARY KEY (risk_decision_id, position)
);
CREATE TABLE approvals (
    approval_id INTEGER PRIMARY KEY,
    intent_id INTEGER NOT NULL REFERENCES intents (intent_id),
    at_ms INTEGER NOT NULL,
    approver TEXT NOT NULL,
    verdict TEXT NOT NULL,
    amount TEXT NOT NULL,
    price TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY,
    venue TEXT NOT NULL,
    run_id TEXT REFERENCES runs (run_id),
    intent_id INTEGER REFERENCES intents (intent_id),
    origin TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    amount TEXT NOT NULL,
    price TEXT,
    reduce_only INTEGER NOT NULL,
    post_only INTEGER NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX orders_by_time ON orders (at_ms);
CREATE INDEX orders_by_intent ON orders (intent_id);
CREATE TABLE order_events (
    event_id INTEGER PRIMARY KEY,
    client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT,
    order_id TEXT,
    filled TEXT,
    average_price TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX order_events_by_order ON order_events (client_order_id, event_id);
CREATE TABLE fills (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    client_order_id TEXT,
    order_id TEXT,
    side TEXT NOT NULL,
    amount TEXT NOT NULL,
    price TEXT NOT NULL,
    notional TEXT NOT NULL,
    fee TEXT NOT NULL,
    fee_currency TEXT NOT NULL,
    maker INTEGER,
    at_ms INTEGER NOT NULL,
    recorded_ms INTEGER NOT NULL,
    PRIMARY KEY (venue, symbol, trade_id)
);
CREATE INDEX fills_by_time ON fills (at_ms);
CREATE TABLE funding (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    payment_id TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    rate TEXT,
    position_contracts TEXT,
    recorded_ms INTEGER NOT NULL,
    PRIMARY KEY (venue, symbol, at_ms)
);
CREATE TABLE position_baselines (
    baseline_id INTEGER PRIMARY KEY,
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    contracts TEXT NOT NULL,
    as_of_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    run_id TEXT REFERENCES runs (run_id),
    recorded_ms INTEGER NOT NULL
);
CREATE TABLE state_changes (
    change_id INTEGER PRIMARY KEY,
    run_id TEXT REFERENCES runs (run_id),
    at_ms INTEGER NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    trigger TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE errors (
    error_id INTEGER PRIMARY KEY,
    run_id TEXT REFERENCES runs (run_id),
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    symbol TEXT,
    client_order_id TEXT
);
CREATE TABLE policy_states (
    policy_state_id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    cycle_id INTEGER REFERENCES cycles (cycle_id),
    at_ms INTEGER NOT NULL,
    state TEXT NOT NULL
);

-- An order's outcome: the first final event if there is one (a final status never reverts, whatever stale
-- update arrives later), else the latest event carrying a status; NULL status = written, no outcome yet.
CREATE VIEW order_outcomes AS
SELECT
    o.*,
    d.status AS status,
    d.filled AS filled,
    d.average_price AS average_price,
    (SELECT e.order_id FROM order_events e WHERE e.client_order_id = o.client_order_id AND e.order_id IS NOT NULL
     ORDER BY e.event_id DESC LIMIT 1) AS order_id,
    (SELECT MAX(e.at_ms) FROM order_events e WHERE e.client_order_id = o.client_order_id) AS updated_ms,
    (SELECT e.detail FROM order_events e WHERE e.client_order_id = o.client_order_id
     ORDER BY e.event_id DESC LIMIT 1) AS last_detail
FROM orders o
LEFT JOIN order_events d ON d.event_id = COALESCE(
    (SELECT e.event_id FROM order_events e WHERE e.client_order_id = o.client_order_id
     AND e.status IN ('filled', 'canceled', 'rejected') ORDER BY e.event_id LIMIT 1),
    (SELECT e.event_id FROM order_events e WHERE e.client_order_id = o.client_order_id AND e.status IS NOT NULL
     ORDER BY e.event_id DESC LIMIT 1)
);
"""

APPEND_ONLY_TABLES_V1 = (
    "runs",
    "run_stops",
    "cycles",
    "targets",
    "decisions",
    "intents",
    "risk_decisions",
    "risk_denials",
    "approvals",
    "orders",
    "order_events",
    "fills",
    "funding",
    "position_baselines",
    "state_changes",
    "errors",
    "policy_states",
)


def _append_only(tables: tuple[str, ...]) -> str:
    return "".join(
        f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'the journal is append-only: {table} rows are never changed'); END;\n"
        for table in tables
        for verb in ("update", "delete")
    )


# Version 2: the prices decisions were made at (what `hedgebot status` measures both legs' PnL from), the mark
# when a position was adopted, and the running bot's heartbeat (what `hedgebot watchdog` watches).
_TABLES_V2 = """
ALTER TABLE decisions ADD COLUMN price TEXT;
ALTER TABLE decisions ADD COLUMN quantity TEXT;
ALTER TABLE position_baselines ADD COLUMN price TEXT;
CREATE TABLE heartbeats (
    heartbeat_id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    at_ms INTEGER NOT NULL,
    switch TEXT
);
CREATE INDEX heartbeats_by_time ON heartbeats (at_ms);
"""


def _kept(tables: tuple[str, ...]) -> str:
    return "".join(
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'the journal keeps every {table} row: updated in place, never deleted'); END;\n"
        for table in tables
    )


# Version 3: the journal grows with activity, not with time. A quiet cycle that decides what the one before it
# decided extends that cycle's run of unchanged cycles (a row updated in place) instead of writing its own rows, and
# each run's heartbeat is one row updated in place (the history of beats is dropped: only the newest ever counted).
_TABLES_V3 = """
CREATE TABLE unchanged_cycles (
    cycle_id INTEGER PRIMARY KEY REFERENCES cycles (cycle_id),
    repeats INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    figures TEXT NOT NULL
);
CREATE INDEX unchanged_cycles_by_time ON unchanged_cycles (last_ms);
CREATE TABLE run_heartbeats (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id),
    at_ms INTEGER NOT NULL,
    switch TEXT
);
INSERT INTO run_heartbeats (run_id, at_ms, switch)
SELECT h.run_id, MAX(h.at_ms),
    (SELECT s.switch FROM heartbeats s WHERE s.run_id = h.run_id AND s.switch IS NOT NULL
     ORDER BY s.heartbeat_id DESC LIMIT 1)
FROM heartbeats h GROUP BY h.run_id;
DROP TRIGGER heartbeats_no_update;
DROP TRIGGER heartbeats_no_delete;
DROP TABLE heartbeats;
ALTER TABLE run_heartbeats RENAME TO heartbeats;
CREATE INDEX heartbeats_by_time ON heartbeats (at_ms);
"""

# Version 4: what must outlive a restart of the bot. ``holding_watches``: the wallet holdings (per asset and wallet)
# the guard watches, and when one went missing from its wallet's reply, was listed again or was confirmed gone
# (bot.execution.vanished); a row per change. ``alert_conditions``: the alert conditions opened (alerted) and
# closed (cleared), so that a restart neither alerts an ongoing one again nor forgets one that ended
# (bot.alerts.notifier); a row per change, ``kind`` the alert's kind when opened, NULL when closed.
_TABLES_V4 = """
CREATE TABLE holding_watches (
    watch_id INTEGER PRIMARY KEY,
    run_id TEXT REFERENCES runs (run_id),
    at_ms INTEGER NOT NULL,
    asset TEXT NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    instrument TEXT,
    since_ms INTEGER
);
CREATE INDEX holding_watches_by_holding ON holding_watches (asset, source, watch_id);
CREATE TABLE alert_conditions (
    condition_id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    key TEXT NOT NULL,
    kind TEXT,
    active INTEGER NOT NULL
);
CREATE INDEX alert_conditions_by_key ON alert_conditions (key, condition_id);
"""

# MIGRATIONS[n] takes the schema from version n to n + 1. Never edit a released migration: append one.
MIGRATIONS: tuple[str, ...] = (
    _TABLES_V1 + _append_only(APPEND_ONLY_TABLES_V1),
    _TABLES_V2 + _append_only(("heartbeats",)),
    _TABLES_V3 + _kept(("unchanged_cycles", "heartbeats")),
    _TABLES_V4 + _append_only(("holding_watches", "alert_conditions")),
)
SCHEMA_VERSION = len(MIGRATIONS)


def connect_writer(path: Path, *, durable: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the journal for the one writer: WAL, synchronous=FULL, FKs on.

    ``durable=False`` (a replay's journal, which records no money) leaves flushing to the operating system: a
    power cut may lose the last rows, and each commit no longer waits for the disk."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise JournalError(f"journal {path}: SQLite refused WAL mode (got {mode!r})")
        # FULL: every commit is on disk before the call returns, so an order row written before its request
        # is sent survives a power cut, not just a crash of the process.
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
        conn.execute("PRAGMA foreign_keys=ON")
        _migrate(conn, path)
    except sqlite3.Error as exc:
        raise JournalError(f"cannot open the journal {path}: {exc}") from exc
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """Open an existing journal read-only (safe while the bot writes: WAL readers never block the writer)."""
    if not path.is_file():
        raise JournalError(
            f"journal file {path} does not exist: the bot creates it on its first run; "
            "pass --journal FILE or set [journal] path in the configuration"
        )
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10, isolation_level=None)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise JournalError(f"cannot read the journal {path}: {exc}") from exc
    if version != SCHEMA_VERSION:
        conn.close()
        raise JournalError(_version_problem(path, version))
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise JournalError(_version_problem(path, version))
    if version == 0 and conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        raise JournalError(_version_problem(path, version))
    for target in range(version + 1, SCHEMA_VERSION + 1):
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _version_problem(path: Path, version: int) -> str:
    if version == 0:
        return f"{path} is not a hedgebot journal (no schema)"
    if version > SCHEMA_VERSION:
        return f"journal {path} has schema v{version}, newer than this hedgebot's v{SCHEMA_VERSION}: upgrade hedgebot"
    return f"journal {path} has schema v{version}; this hedgebot reads v{SCHEMA_VERSION}: run the bot once to migrate"
