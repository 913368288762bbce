"""hedgesim: a local exchange speaking Bybit v5 REST on 127.0.0.1, replaying real market data (see ``SimExchange``).

engine = SimExchange.deterministic(SimConfig(sample="2025-10-liquidation-cascade"))
async with running_sim(engine=engine) as sim:           # HTTP on an ephemeral port
    client = bybit_client(sim.url, sim.api_key, sim.api_secret)
    ...
    sim.advance(timedelta(minutes=5))                   # prices move, orders fill, funding settles

The names below are imported on first use, so ``import hedgesim.credentials`` (the built-in key and secret) stays
cheap: it loads neither the engine nor aiohttp.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hedgesim.config import SimConfig
    from hedgesim.engine import SimExchange
    from hedgesim.errors import MarketDataError, SimReject
    from hedgesim.faults import Fault, FaultKind
    from hedgesim.server import SimServer, bybit_client, running_sim

_HOMES = {
    "SimConfig": "hedgesim.config",
    "SimExchange": "hedgesim.engine",
    "MarketDataError": "hedgesim.errors",
    "SimReject": "hedgesim.errors",
    "Fault": "hedgesim.faults",
    "FaultKind": "hedgesim.faults",
    "SimServer": "hedgesim.server",
    "bybit_client": "hedgesim.server",
    "running_sim": "hedgesim.server",
}

__all__ = [
    "Fault",
    "FaultKind",
    "MarketDataError",
    "SimConfig",
    "SimExchange",
    "SimReject",
    "SimServer",
    "bybit_client",
    "running_sim",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'hedgesim' has no attribute {name!r}")
    return getattr(import_module(home), name)
