"""Hedged wallet holdings that vanish from their wallet's reply: held for a confirmation window, then believed.

A hedged coin missing from a wallet reply is either a reply that lost a row (ccxt drops a coin row without its
name) or a real sale or transfer; only time tells them apart. ``VanishedHoldings`` watches every hedged wallet
holding per asset and wallet (``exchange:VENUE``), so a coin gone from one venue's wallet is caught even while
another wallet (or a static holding) still holds some. Each cycle, before planning (``check``):

1. a holding the last plan hedged from a wallet is watched (journaled once, ``hedged``); one the plan no longer
   hedges (disabled, no instrument), or the configuration no longer counts (``holdings.exclude``, a wallet no
   longer in ``holdings.venues``), is released;
2. a watched holding missing from its wallet's reply is held: its instrument is not traded this cycle (reason
   ``bad_data``, saying until when), the journal records since when (``missing``), and a ``holding_vanished``
   alert goes out once;
3. listed again, it is watched as before (``hedged``) and the alert cleared;
4. missing from every reading for ``holdings.vanished_confirm``, it counts as sold or moved: the journal records
   the confirmation (``confirmed``), the alert is cleared, and the hedge follows the wallet from this cycle on;
5. a wallet that could not be read this cycle tells nothing: its holdings stay as they were (their hedges are held
   by ``bot.execution.guards.unread_wallets``);
6. the watch outlives restarts, read back from the journal: a restart neither believes the wallet at once (a
   holding watched before and missing now starts its window) nor holds forever (a window already running goes on
   from its journaled start).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

import structlog

from bot.alerts import events
from bot.core.plan import Plan
from bot.domain import HoldingSource, ReasonCode, Snapshot, SourceKind
from bot.execution.alerting import RunAlerts
from bot.journal.records import HoldingWatch, WatchState
from bot.journal.writer import Journal
from bot.settings import HoldingsSettings

log = structlog.get_logger(__name__)

NOT_HEDGED = (ReasonCode.EXCLUDED, ReasonCode.BETA_REFUSED, ReasonCode.NO_PERP_NO_PROXY)

Held = tuple[str, str]  # (asset, source): one wallet's holding of one asset


class VanishedHoldings:
    """The hedged wallet holdings of a run, watched for vanishing (see the module's rules)."""

    def __init__(self, journal: Journal, run_id: str, holdings: HoldingsSettings, alerts: RunAlerts) -> None:
        self._journal = journal
        self._run_id = run_id
        self._holdings = holdings
        self._confirm = holdings.vanished_confirm
        self._alerts = alerts
        # this venue's desk watches the holdings it hedges (with hedges on several venues, each desk its own)
        self._watched = {(w.asset, w.source): w for w in journal.holding_watches() if holdings.hedged_here(w.asset)}

    def check(
        self, last_plan: Plan | None, snapshot: Snapshot, unread: Collection[str], now: datetime
    ) -> dict[str, str]:
        """Instruments to hold this cycle, with why: the hedges of watched holdings missing from their wallet's
        reply (``unread``: the wallets not read this cycle, which tell nothing)."""
        listed = {(h.asset, str(h.source)) for h in snapshot.holdings if h.source.kind is SourceKind.EXCHANGE}
        hedged = hedged_wallet_holdings(last_plan) if last_plan is not None else None
        for held, instrument in (hedged or {}).items():
            watch = self._watched.get(held)
            if watch is None or (watch.state is WatchState.HEDGED and watch.instrument != instrument):
                self._record(HoldingWatch(*held, WatchState.HEDGED, instrument))
        notes: dict[str, list[str]] = {}
        for held, watch in sorted(self._watched.items()):
            venue = HoldingSource.parse(watch.source).label
            if watch.asset in self._holdings.exclude or venue not in self._holdings.wallet_venues:
                self._listed(watch, released=True)  # not counted any more: nothing to watch
                continue
            if venue in unread:
                pass  # no reading: a missing holding stays held, its window not confirmed on an old reading
            elif held in listed:
                self._listed(watch, released=hedged is not None and held not in hedged)
                continue
            elif watch.state is WatchState.HEDGED:
                watch = self._missing(watch, now)
            elif watch.since is not None and now - watch.since >= self._confirm:
                self._confirmed(watch, now)
                continue
            if watch.state is WatchState.MISSING and watch.instrument is not None:
                notes.setdefault(watch.instrument, []).append(self._note(watch))
        return {instrument: "; ".join(items) for instrument, items in sorted(notes.items())}

    def _listed(self, watch: HoldingWatch, *, released: bool) -> None:
        """Listed in its wallet's reply (or counted no more): ``released``, or watched as hedged."""
        if released:
            self._record(replace(watch, state=WatchState.RELEASED, since=None))
        elif watch.state is WatchState.MISSING:
            self._record(replace(watch, state=WatchState.HEDGED, since=None))
            log.info("holdings.listed_again", asset=watch.asset, wallet=watch.source, since=watch.since)
        else:
            return
        self._alerts.clear(events.holding_vanished_key(watch.asset, watch.source))

    def _missing(self, watch: HoldingWatch, now: datetime) -> HoldingWatch:
        missing = replace(watch, state=WatchState.MISSING, since=now)
        self._record(missing)
        confirm_at = now + self._confirm
        log.warning(
            "holdings.vanished", asset=watch.asset, wallet=watch.source, instrument=watch.instrument, until=confirm_at
        )
        if watch.instrument is not None:
            self._alerts.notify(
                events.holding_vanished(watch.asset, watch.source, watch.instrument, now, confirm_at, at=now)
            )
        return missing

    def _confirmed(self, watch: HoldingWatch, now: datetime) -> None:
        self._record(replace(watch, state=WatchState.CONFIRMED))
        log.warning(
            "holdings.vanish_confirmed",
            asset=watch.asset,
            wallet=watch.source,
            instrument=watch.instrument,
            missing_since=watch.since,
            at=now,
        )
        self._alerts.clear(events.holding_vanished_key(watch.asset, watch.source))

    def _note(self, watch: HoldingWatch) -> str:
        assert watch.since is not None, "a missing holding has its start"
        venue = HoldingSource.parse(watch.source).label
        return (
            f"{watch.asset} in the {venue} wallet, hedged until now, is missing from its reply since "
            f"{watch.since:%Y-%m-%d %H:%M:%S} UTC: the hedge is kept as it is until "
            f"{watch.since + self._confirm:%Y-%m-%d %H:%M:%S} UTC (holdings.vanished_confirm); still missing then, "
            f"{watch.asset} counts as sold or moved and the hedge follows the wallet"
        )

    def _record(self, watch: HoldingWatch) -> None:
        self._journal.record_holding_watch(self._run_id, watch)
        if watch.state in (WatchState.HEDGED, WatchState.MISSING):
            self._watched[watch.asset, watch.source] = watch
        else:
            self._watched.pop((watch.asset, watch.source), None)


def hedged_wallet_holdings(plan: Plan) -> dict[Held, str]:
    """The wallet holdings ``plan`` hedged, by asset and wallet, with the instrument each was hedged on (a holding
    held, e.g. on a stale price, counts: its hedge stands)."""
    hedged: dict[Held, str] = {}
    for decision in plan.holdings:
        instrument = decision.hedge.instrument
        if instrument is None or decision.hedge.reason in NOT_HEDGED:
            continue
        for source in decision.holding.sources:
            if source.kind is SourceKind.EXCHANGE:
                hedged[decision.holding.asset, str(source)] = instrument
    return hedged
