"""Specification of what ships around the code: the licence, its metadata, and the scripts/hedgebot wrapper."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from importlib.metadata import metadata
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_when_read_then_mit_for_the_hedgebot_contributors() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the hedgebot contributors" in text


def test_pyproject_when_read_then_license_is_an_spdx_expression_with_its_file() -> None:
    # The `license = { text = ... }` table makes setuptools warn at every install (deprecated since 77).
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]


def test_installed_metadata_when_read_then_license_expression_and_file() -> None:
    installed = metadata("hedgebot")
    assert installed["License-Expression"] == "MIT"
    assert installed.get_all("License-File") == ["LICENSE"]


def _venv_is_installed() -> bool:
    """True when the running environment is the one scripts/_bootstrap.sh installed from this checkout (so the
    wrapper will not try to install anything)."""
    stamp = Path(sys.prefix) / ".hedgebot-install-stamp"
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "scripts" / "constraints.txt").read_bytes()
    ).hexdigest()
    return stamp.is_file() and stamp.read_text().strip() == wanted


@pytest.mark.skipif(not _venv_is_installed(), reason="needs the .venv that scripts/test installs")
def test_hedgebot_wrapper_when_run_from_another_directory_then_runs_there_with_relative_paths(
    tmp_path: Path,
) -> None:
    (tmp_path / "mine.toml").write_text((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    result = subprocess.run(
        [str(ROOT / "scripts" / "hedgebot"), "check-config", "mine.toml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "HEDGEBOT_VENV": sys.prefix},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "OK: mine.toml is valid." in result.stdout
