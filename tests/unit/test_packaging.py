"""Specification of what ships around the code: the licence and its metadata."""

from __future__ import annotations

import tomllib
from importlib.metadata import metadata

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
