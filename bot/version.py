"""The installed package's version, as `hedgebot --version` prints it and each run journals it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The version pip installed ("unknown" when run from a tree that was never installed)."""
    try:
        return version("hedgebot")
    except PackageNotFoundError:
        return "unknown"
