"""`hedgebot sim`: serve the local Bybit v5 exchange simulator (the ``hedgesim`` package) until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.cli.output import err, out
from bot.config_types import MAX_NUMBER
from bot.errors import DataError, UsageError
from hedgesim import MarketDataError, SimConfig, SimExchange, SimServer
from hedgesim.account import Fees
from hedgesim.config import DEFAULT_HOLDING_VALUE, DEFAULT_USDT
from hedgesim.enums import MarginMode
from hedgesim.keys import KeyPermissions
from hedgesim.marketdata import DEFAULT_SAMPLE, available_samples
from hedgesim.server import is_loopback

HELP = "serve the local Bybit v5 exchange simulator on 127.0.0.1"
DESCRIPTION = f"""\
Serve a local exchange that speaks the Bybit v5 REST API, so the unmodified ccxt Bybit client (and the bot,
with a venue in mode "sim") trades against it. It replays real market data: spot and perpetual candles
(basis included), funding and mark prices, with a synthetic order book around the price. Resting limit
orders fill only when the market trades through them; funding settles at each interval; positions are
liquidated when the mark price crosses their liquidation price.

The exchange clock is your machine's clock; the market replays from the sample's start (or --start) at
--speed historical seconds per second. When the sample ends, prices hold at their last values.

Bundled samples: {", ".join(available_samples())} (default {DEFAULT_SAMPLE}). --sample also takes a
folder of freqtrade-format files (BTC_USDT-5m.json.gz, BTC_USDT_USDT-5m-futures.json.gz, ...-funding_rate...).

The default account holds {DEFAULT_USDT} USDT and about {DEFAULT_HOLDING_VALUE} USDT worth of each spot asset of the
sample; with --balance the account holds exactly what you list. Fees default to Bybit's base tier. The API key
trades and can neither transfer nor withdraw; --key-permissions makes it read-only, able to withdraw, bound to
addresses or expiring, as /v5/user/query-api then reports (and the venue enforces).

A control API under /__sim/ (state, faults, time, deposits, trades by "someone else") is for tests and
experiments. It answers only requests carrying its token (printed at start; --control-token sets it, else a new
random one each start) as "Authorization: Bearer TOKEN", and only JSON bodies. The simulator listens on loopback
only: a --host that is not a loopback address is refused unless --allow-remote. The simulator is the hedgesim
package, usable from Python too: hedgesim/README.md describes its API, what it simulates and its known
simplifications.

examples:
  hedgebot sim
  hedgebot sim --port 8765 --speed 60 --balance USDT=20000 --balance SOL=100
  hedgebot sim --sample 2022-06-3ac-crash --start 2022-06-12T00:00:00+00:00
  hedgebot sim --key-permissions trade,withdraw,ip=127.0.0.1
  hedgebot sim --port 8765 --control-token="$TOKEN" &
  curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8765/__sim/state
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "sim", help=HELP, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; loopback only)")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a --host that is not a loopback address (not advised)"
    )
    parser.add_argument(
        "--control-token", metavar="TOKEN", help="the control API's token (default: a new random one, printed)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0: any free port)")
    parser.add_argument("--sample", default=DEFAULT_SAMPLE, metavar="NAME|DIR", help="market data to replay")
    parser.add_argument("--start", type=_moment, metavar="ISO8601", help="historical start (default: sample start)")
    parser.add_argument("--speed", type=_speed, default=1.0, help="historical seconds per second (default 1)")
    parser.add_argument(
        "--balance",
        action="append",
        default=[],
        type=parse_balance,
        metavar="ASSET=QTY",
        help="account balance (repeat)",
    )
    parser.add_argument(
        "--fees",
        type=_fees,
        default=Fees(),
        metavar="MAKER,TAKER[,SPOT]",
        help="linear maker and taker fee rates and the spot rate (default 0.0002,0.00055,0.001)",
    )
    parser.add_argument(
        "--margin-mode", choices=["cross", "isolated"], default="cross", help="account margin mode (default cross)"
    )
    parser.add_argument("--leverage", type=_positive, default=Decimal(10), help="default leverage per symbol (10)")
    parser.add_argument(
        "--key-permissions",
        type=_key,
        default=KeyPermissions(),
        metavar="SPEC",
        help="what the API key may do, as /v5/user/query-api shows and the venue enforces: read-only, trade "
        "(default), contract, spot, transfer, withdraw, ip=ADDRESS (repeat), expires=ISO8601; comma-separated, "
        "e.g. trade,withdraw,ip=127.0.0.1",
    )
    parser.add_argument("--no-rate-limits", action="store_true", help="do not enforce Bybit's rate limits")
    parser.add_argument("--seed", type=int, default=0, help="seed for order and execution ids (default 0)")
    parser.set_defaults(handler=run, needs_config=False)


def run(args: argparse.Namespace) -> int:
    config = SimConfig(
        sample=Path(args.sample) if Path(args.sample).is_dir() else args.sample,
        start=args.start,
        speed=args.speed,
        balances=dict(args.balance) if args.balance else None,
        fees=args.fees,
        margin_mode=MarginMode(args.margin_mode),
        default_leverage=args.leverage,
        seed=args.seed,
        rate_limits=not args.no_rate_limits,
        control_token=args.control_token,
        key=args.key_permissions,
    )
    if not args.allow_remote and not is_loopback(args.host):
        raise UsageError(
            [
                (
                    "--host",
                    f"refusing {args.host}: not a loopback address; the simulator's key, secret and control API are "
                    "not for a network (--allow-remote overrides)",
                )
            ]
        )
    try:
        engine = SimExchange.realtime(config)
    except MarketDataError as exc:
        raise DataError(str(exc)) from exc
    return asyncio.run(_serve(engine, args.host, args.port))


async def _serve(engine: SimExchange, host: str, port: int) -> int:
    server = SimServer(engine)
    try:
        url = await server.start(host, port, allow_remote=True)  # the host was checked above
    except OSError as exc:
        err.print(f"hedgebot sim: cannot listen on {host}:{port}: {exc.strerror or exc}", markup=False)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    _announce(server, url)
    try:
        await stop.wait()
    finally:
        await server.close()
    err.print("hedgebot sim: stopped", markup=False)
    return 0


def _announce(server: SimServer, url: str) -> None:
    engine = server.engine
    market = engine.market
    config = engine.config
    lines = [
        f"hedgebot sim: Bybit v5 simulator listening on {url}",
        f"  market data: {market.sample.name} from {engine.market_time():%Y-%m-%d %H:%M} UTC at {config.speed:g}x",
        f"  API key:     {config.api_key}",
        f"  API secret:  {config.api_secret}",
        f"  control:     {url}/__sim/state with header Authorization: Bearer {server.control_token}",
        "Point a configuration at it:",
        "  [venues.main]",
        '  exchange = "bybit"',
        '  mode = "sim"',
        f'  url = "{url}"',
        "Stop with Ctrl-C.",
    ]
    out.print("\n".join(lines), markup=False)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give a time zone, e.g. 2025-10-10T12:00:00+00:00")
    return moment


def _positive(text: str) -> Decimal:
    """A finite number above zero and at most 10^15 (--speed, --leverage)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value <= MAX_NUMBER:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number above 0")
    return value


def _speed(text: str) -> float:
    return float(_positive(text))


def _key(text: str) -> KeyPermissions:
    try:
        return KeyPermissions.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parse_balance(text: str) -> tuple[str, Decimal]:
    """``ASSET=QTY`` (``--balance``, here and in `hedgebot replay`)."""
    asset, _, qty = text.partition("=")
    try:
        value = Decimal(qty)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected ASSET=QTY, e.g. USDT=10000") from exc
    if not asset or not value.is_finite() or not 0 <= value <= MAX_NUMBER:
        raise argparse.ArgumentTypeError(f"{text!r}: expected ASSET=QTY with QTY from 0 to {MAX_NUMBER:,.0f}")
    return asset.strip().upper(), value


def _fees(text: str) -> Fees:
    try:
        rates = [Decimal(part) for part in text.split(",")]
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MAKER,TAKER[,SPOT], e.g. 0.0002,0.00055,0.001") from exc
    if len(rates) not in (2, 3):
        raise argparse.ArgumentTypeError(f"{text!r}: expected two or three rates")
    if not all(rate.is_finite() and -1 < rate < 1 for rate in rates):
        raise argparse.ArgumentTypeError(f"{text!r}: expected rates between -1 and 1, e.g. 0.0002,0.00055,0.001")
    spot = rates[2] if len(rates) == 3 else Fees().spot_taker
    return Fees(linear_maker=rates[0], linear_taker=rates[1], spot_maker=spot, spot_taker=spot)
