"""The simulator served over HTTP on 127.0.0.1, and the handles tests and scripts use to run and drive it."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import structlog
from aiohttp import web

from hedgesim import control
from hedgesim.bybit.app import BybitApi, RequestRecord
from hedgesim.clock import ManualClock
from hedgesim.config import SimConfig
from hedgesim.engine import SimExchange
from hedgesim.faults import Fault, FaultKind, FaultPlan

log = structlog.get_logger(__name__)

TICK_SECONDS = 0.25  # how often a real-time exchange moves itself along between requests


class SimServer:
    """A running simulated exchange: the Bybit v5 API at ``url`` and the control API at ``url + "/__sim/"``.

    Start it with ``async with SimServer(engine) as sim`` (or ``running_sim``). A real-time engine moves
    itself forward on a background task; a deterministic one only when ``advance`` is called. The control API
    answers only requests carrying ``control_token`` (``control_headers``): the configured one, or one generated
    here.
    """

    def __init__(self, engine: SimExchange, faults: FaultPlan | None = None, control_token: str | None = None) -> None:
        self.engine = engine
        self.faults = faults or FaultPlan()
        self.control_token = control_token or engine.config.control_token or secrets.token_hex(24)
        self.api = BybitApi(
            engine, self.faults, rate_limits=engine.config.rate_limits, ip_ban_seconds=engine.config.ip_ban_seconds
        )
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.url = ""

    @property
    def api_key(self) -> str:
        return self.engine.config.api_key

    @property
    def api_secret(self) -> str:
        return self.engine.config.api_secret

    @property
    def control_headers(self) -> dict[str, str]:
        """The header a control API request needs, e.g. ``session.get(url, headers=sim.control_headers)``."""
        return {"Authorization": f"Bearer {self.control_token}"}

    @property
    def requests(self) -> list[RequestRecord]:
        return list(self.api.requests)

    async def start(self, host: str = "127.0.0.1", port: int = 0, allow_remote: bool = False) -> str:
        """Listen on ``host``:``port`` (0: any free port) and return the URL. A host that is not a loopback
        address is refused unless ``allow_remote``: the simulator's key, secret and control API are not for a
        network."""
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"refusing to serve the simulator on {host}: not a loopback address (allow it explicitly)")
        app = web.Application()
        app.add_routes(control.routes(self.api, self.control_token))
        app.router.add_route("*", "/{tail:.*}", self.api.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{host}:{bound[1]}"
        if not isinstance(self.engine.clock, ManualClock):
            self._ticker = asyncio.create_task(self._tick(), name="sim-ticker")
            self._ticker.add_done_callback(_report_stop)
        log.info("sim.server.started", url=self.url, sample=self.engine.market.sample.name)
        return self.url

    async def close(self) -> None:
        self.api.closing.set()  # release held (hung, lost-reply) requests
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._runner is not None:
            await self._runner.cleanup()
        log.info("sim.server.stopped", url=self.url)

    async def __aenter__(self) -> SimServer:
        if not self.url:
            await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # conveniences for tests -----------------------------------------------------------------------------------

    def advance(self, delta: timedelta) -> None:
        self.engine.advance(delta)

    def fault(self, kind: FaultKind | str, **scope: Any) -> str:
        """Add a fault, e.g. ``sim.fault("lose_response", path="/v5/order/create", times=1)``; returns its id."""
        return self.faults.add(Fault(kind=FaultKind(kind), **scope))

    def state(self) -> dict[str, Any]:
        return self.engine.state()

    async def _tick(self) -> None:
        while True:
            self.engine.sync()
            await asyncio.sleep(TICK_SECONDS)


def _report_stop(task: asyncio.Task[None]) -> None:
    """The ticker only ends by cancellation; anything else is a bug worth shouting about (requests still sync)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("sim.ticker.crashed", error=repr(task.exception()))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only ever reaches this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.asynccontextmanager
async def running_sim(
    config: SimConfig | None = None, engine: SimExchange | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[SimServer]:
    """Serve a simulator (deterministic unless an engine is given) on an ephemeral port for the block."""
    server = SimServer(engine or SimExchange.deterministic(config))
    await server.start(host, port)
    try:
        yield server
    finally:
        await server.close()


def bybit_client(url: str, api_key: str, secret: str, **config: Any) -> Any:
    """The unmodified ccxt async Bybit client with only its ``urls['api']`` pointed at ``url``."""
    import ccxt.async_support as ccxt_async  # here, not at the top: ccxt takes a second to import and serving does not need it

    client = ccxt_async.bybit({"apiKey": api_key, "secret": secret, **config})
    client.urls["api"] = dict.fromkeys(client.urls["api"], url)
    return client
