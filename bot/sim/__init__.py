"""A local exchange speaking Bybit v5 REST on 127.0.0.1, replaying real market data (see ``SimExchange``).

engine = SimExchange.deterministic(SimConfig(sample="2025-10-liquidation-cascade"))
async with running_sim(engine=engine) as sim:           # HTTP on an ephemeral port
    client = bybit_client(sim.url, sim.api_key, sim.api_secret)
    ...
    sim.advance(timedelta(minutes=5))                   # prices move, orders fill, funding settles
"""

from bot.sim.config import SimConfig
from bot.sim.engine import SimExchange
from bot.sim.errors import SimReject
from bot.sim.faults import Fault, FaultKind
from bot.sim.server import SimServer, bybit_client, running_sim

__all__ = ["Fault", "FaultKind", "SimConfig", "SimExchange", "SimReject", "SimServer", "bybit_client", "running_sim"]
