#!/usr/bin/env python3
"""Cut the small real market-data samples that ship in hedgesim/data/samples/ out of a full data collection.

Usage: scripts/make_samples.py DATA_DIR

DATA_DIR is the project's shared historical data collection (freqtrade-format Binance candles, funding and
mark series; in the development workspace it sits next to the repository as shared/data). The samples are
already committed; this script documents exactly how they were made and re-creates them byte for byte.
Each sample keeps the source's file format (a gzipped JSON array of [open_time_ms, open, high, low, close,
volume]) and its file name, and its manifest.json names the source repository, commit and original path.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "hedgesim" / "data" / "samples"

# name -> window, and per series: (symbol, market, kind, folder, repo, commit, original path, file)
SAMPLES: dict[str, dict[str, Any]] = {  # literal data, read only here
    "2025-10-liquidation-cascade": {
        "title": "10 Oct 2025 liquidation cascade (BTC -17%, SOL perp 17% below spot, SOL funding -0.3%/8h)",
        "start": "2025-10-09T00:00:00+00:00",
        "end": "2025-10-13T00:00:00+00:00",
        "folder": "09_2025_spot_perp_5m/Harthor+marketlab",
        "repo": "github.com/Harthor/marketlab",
        "commit": "6135a753162dd7dfe1c4d7fd282c1c8b65c5bede",
        "series": [
            (sym, market, kind, f"user_data/data/binance/{sub}{name}", name)
            for coin in ("BTC", "ETH", "SOL")
            for sym, market, kind, sub, name in (
                (f"{coin}/USDT", "spot", "ohlcv", "", f"{coin}_USDT-5m.json.gz"),
                (f"{coin}/USDT:USDT", "perp", "ohlcv", "futures/", f"{coin}_USDT_USDT-5m-futures.json.gz"),
                (
                    f"{coin}/USDT:USDT",
                    "perp",
                    "funding",
                    "futures/",
                    f"{coin}_USDT_USDT-1h-funding_rate.json.gz",
                ),
                (f"{coin}/USDT:USDT", "perp", "mark", "futures/", f"{coin}_USDT_USDT-1h-mark.json.gz"),
            )
        ],
    },
    "2022-06-3ac-crash": {
        "title": "June 2022 Celsius/3AC crash (BTC -38%, ETH -43%): alts without perps in this sample",
        "start": "2022-06-10T00:00:00+00:00",
        "end": "2022-06-20T00:00:00+00:00",
        "parts": [
            {
                "folder": "04_luna_3ac_2022/Pr4v33n23+freqtrade",
                "repo": "github.com/Pr4v33n23/freqtrade",
                "commit": "b920e9a301943675bb8255fd74bf88fd5eb5844f",
                "series": [
                    (
                        f"{coin}/USDT",
                        "spot",
                        "ohlcv",
                        f"user_data/data/binance/{coin}_USDT-5m.json.gz",
                        f"{coin}_USDT-5m.json.gz",
                    )
                    for coin in ("BTC", "ETH", "SOL", "AVAX", "LINK", "ADA", "DOGE")
                ],
            },
            {
                "folder": "05_3ac_ftx_perp_2022H2/TrickBaker+freqtrade-repos",
                "repo": "github.com/TrickBaker/freqtrade-repos",
                "commit": "bf527fbb3fc827ea8bf0888d508a5e8123e0435e",
                "series": [
                    (
                        f"{coin}/USDT:USDT",
                        "perp",
                        kind,
                        f"user_data/data/binance/futures/{coin}_USDT-{suffix}",
                        f"{coin}_USDT-{suffix}.json.gz",
                    )
                    for coin in ("BTC", "ETH")
                    for kind, suffix in (
                        ("ohlcv", "5m-futures"),
                        ("funding", "8h-funding_rate"),
                        ("mark", "8h-mark"),
                    )
                ],
            },
        ],
    },
}


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).astimezone(UTC).timestamp() * 1000)


def _write(path: Path, rows: list[list[float]]) -> None:
    raw = json.dumps(rows, separators=(",", ":")).encode()
    with path.open("wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)


def make(data_dir: Path) -> None:
    for name, spec in SAMPLES.items():
        out = OUT / name
        out.mkdir(parents=True, exist_ok=True)
        start, end = _ms(str(spec["start"])), _ms(str(spec["end"]))
        parts: list[dict[str, Any]] = spec.get("parts") or [spec]
        manifest: list[dict[str, object]] = []
        for part in parts:
            for symbol, market, kind, original, file_name in part["series"]:
                source = data_dir / part["folder"] / file_name
                with gzip.open(source) as handle:
                    rows = [r for r in json.load(handle) if start <= r[0] < end]
                if not rows:
                    sys.exit(f"{source}: no rows in the window")
                _write(out / file_name, rows)
                manifest.append(
                    {
                        "symbol": symbol,
                        "market": market,
                        "kind": kind,
                        "file": file_name,
                        "rows": len(rows),
                        "source": {"repository": part["repo"], "commit": part["commit"], "path": original},
                    }
                )
        (out / "manifest.json").write_text(
            json.dumps(
                {
                    "title": spec["title"],
                    "start": spec["start"],
                    "end": spec["end"],
                    "venue": "binance (public market data)",
                    "series": manifest,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"{name}: {len(manifest)} series -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, help="the full data collection (freqtrade format)")
    make(parser.parse_args().data_dir)
