"""Shared pytest fixtures."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config.example.toml"
SHARED = ROOT.parent / "shared"


def modules_loaded_by(statement: str) -> list[str]:
    """Every module a fresh interpreter holds after running ``statement`` (in the repository, as the tests run)."""
    script = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return list(json.loads(done.stdout))


@pytest.fixture
def example_config_text() -> str:
    return EXAMPLE_CONFIG.read_text(encoding="utf-8")


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a TOML text to a file in a fresh folder and return its path."""

    def write(text: str, name: str = "hedgebot.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def keyboard(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """stdin becomes a terminal; write answers to the returned descriptor as if typed."""
    main, replica = pty.openpty()
    terminal = os.fdopen(replica, "r", buffering=1, closefd=False)
    monkeypatch.setattr(sys, "stdin", terminal)
    yield main
    terminal.close()
    os.close(main)
    os.close(replica)
