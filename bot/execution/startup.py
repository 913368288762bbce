"""Start-up, failing closed: nothing is traded until ``start_run`` returns.

1. preflight, reads before writes: credentials, clock and markets (every configured instrument listed), then the
   API key's permissions (``bot.execution.keys``: unattended, a key that can withdraw or transfer is refused before
   the venue has been asked to change anything), then one-way position mode, margin mode and leverage set and read
   back on the instruments a hedge can use; every holdings-only venue's wallet read once
   (``bot.execution.wallets``);
2. the run's start is journaled, and the state the last run left (the core's memory, the trading state) restored;
3. an operator's resume (``--resume``) lifts a HALTED or REDUCING state, unless the kill-switch file is there;
4. reconciliation with the venue (unknown outcomes, our orders, fills and funding made while down, positions the
   journal must explain);
5. the margin wallet must cover what the targets still need;
6. our resting orders older than ``execution.max_order_age`` (a past run's) are cancelled;
7. the alert conditions an earlier run left open, as they stand now (``RunAlerts.restarted``).
A malformed venue reply in 4 to 6, or a venue that cannot be read then, refuses the start (``PreflightError``):
nothing was sent.
"""

from __future__ import annotations

import structlog

from bot.core.cycle import CoreState
from bot.domain import TradingState
from bot.errors import DataError, HaltRequested, PreflightError
from bot.exchange.preflight import check_margin, read_account, run_preflight
from bot.execution.keys import check_key
from bot.execution.outage import VENUE_DOWN
from bot.execution.reading import QUOTE, preflight_plan
from bot.execution.reconcile import ReconcileReport
from bot.execution.run import Run, RunOptions
from bot.execution.summary import margin_need
from bot.risk.kill_switch import check_kill_switch
from bot.risk.state import StateEvent, Trigger
from bot.version import package_version

log = structlog.get_logger(__name__)


async def start_run(run: Run, options: RunOptions) -> ReconcileReport:
    """Preflight, the run's first journal rows, the restored state, reconciliation and the margin check; raises
    (``PreflightError``, ``ReconciliationError``, ``HaltRequested``, ...) if the bot must not trade."""
    plan = preflight_plan(run.settings)
    reads = await read_account(run.port, plan, run.clock)  # read-only first contact: nothing written yet
    await check_key(run.port, run.settings.venue, run.clock, unattended=options.unattended)  # before any write
    preflight = await run_preflight(run.port, plan, run.clock, reads)
    await run.wallets.open()
    run.markets = dict(preflight.markets)
    run.leverage = dict(preflight.leverage)
    wallet = preflight.margin_balances if run.port.unified_wallet else await run.port.fetch_spot_balances()
    run.wallet_assets = {a for a, b in wallet.items() if b.total > 0}
    await run.prepare_instruments(set(run.hedge_symbols()))
    venue = run.settings.venue
    run.journal.start_run(
        run.run_id,
        mode=venue.mode.value,
        config_hash=run.settings.config_hash,
        version=package_version(),
        detail={"venue": venue.name, "exchange": venue.exchange},
    )
    run.started = True
    _restore(run)
    if options.resume and (engaged := check_kill_switch(run.kill_switch)) is not None:
        raise HaltRequested(f"cannot resume: {engaged.detail}")
    if options.resume and run.risk_state.trading is not TradingState.ACTIVE:
        run.apply([StateEvent(Trigger.OPERATOR_RESUME, f"operator: {options.command}")])
    try:
        report = await run.reconcile(adopt=options.adopt)
        await _check_margin(run)
        await run.sweep(await run.port.fetch_open_orders(run.hedge_symbols()), "start-up sweep")
    except DataError as exc:  # refuse to start on a malformed reply; nothing was sent
        raise PreflightError(f"{run.venue}: cannot start from the venue's replies: {exc}") from exc
    except VENUE_DOWN as exc:  # refuse to start (no halt): a supervisor's restart tries again
        raise PreflightError(f"{run.venue}: the venue cannot be read: {exc}") from exc
    run.alerts.restarted(run.risk_state.trading)  # what an earlier run alerted, as it stands now
    return report


def _restore(run: Run) -> None:
    """The core's memory and the trading state as the journal last recorded them for this venue (a halt survives
    restarts; with several venues, each venue's desk restores its own)."""
    saved = run.journal.latest_policy_state(venue=run.venue)
    if saved is not None:
        run.core_state = CoreState.from_dict(saved)
    previous = run.journal.latest_risk_state(run.venue)
    if previous is not None:
        run.risk_state = previous


async def _check_margin(run: Run) -> None:
    """Fail closed before the first order: the margin wallet must cover what the targets still need beyond our
    resting orders (which hold their margin already); what the plan cancels frees theirs."""
    snapshot = await run.read_snapshot()
    plan, _ = run.planner(run.settings.core, snapshot, run.core_state, run.clock.now())
    need = margin_need(plan, snapshot.open_orders, run.markets, run.settings.execution.leverage)
    headroom = check_margin(snapshot.balances, need.needed, QUOTE, freed=need.freed)
    log.info("preflight.margin", needed=need.needed, freed=need.freed, headroom=headroom)
