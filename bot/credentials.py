"""Secrets (API credentials, alert destinations): from the environment or a separate secrets file, never the config."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from hedgesim.credentials import SIM_API_KEY, SIM_API_SECRET


@dataclass(frozen=True, slots=True)
class Credentials:
    api_key: SecretStr
    secret: SecretStr
    passphrase: SecretStr | None
    source: str  # where they came from, for check-config; never the values

    def secret_values(self) -> tuple[str, ...]:
        values = [self.api_key.get_secret_value(), self.secret.get_secret_value()]
        if self.passphrase is not None:
            values.append(self.passphrase.get_secret_value())
        return tuple(v for v in values if v)


@dataclass(frozen=True, slots=True)
class SecretsFile:
    """The tables of the optional ``secrets_file``, one per credential set."""

    path: Path | None
    tables: Mapping[str, Mapping[str, object]]

    def table(self, name: str) -> Mapping[str, object]:
        return self.tables.get(name, self.tables.get(name.upper(), {}))


@dataclass(frozen=True, slots=True)
class SecretSet:
    """One credential set's values as found, and the environment variables that were missing."""

    values: Mapping[str, str]
    missing: tuple[str, ...]
    source: str  # where they came from, for check-config; never the values
    has_file: bool

    def missing_message(self, name: str) -> str:
        return f"credential set {name!r}: environment variable(s) {', '.join(self.missing)} not set" + (
            " and not in the secrets file" if self.has_file else ""
        )


def read_secret_set(
    name: str, fields: Sequence[str], environ: Mapping[str, str], secrets: SecretsFile, optional: Sequence[str] = ()
) -> SecretSet:
    """``NAME_FIELD`` from the environment, else ``field`` from the secrets file's ``[NAME]`` table."""
    prefix = name.upper()
    section = secrets.table(name)
    values: dict[str, str] = {}
    missing: list[str] = []
    for field_name in fields:
        env_name = f"{prefix}_{field_name.upper()}"
        value = environ.get(env_name) or section.get(field_name)
        if value:
            values[field_name] = str(value)
        elif field_name not in optional:
            missing.append(env_name)
    source = f"environment ({prefix}_*)" if f"{prefix}_{fields[0].upper()}" in environ else f"secrets file [{name}]"
    return SecretSet(values, tuple(missing), source, secrets.path is not None)


_API_FIELDS = ("api_key", "api_secret", "passphrase")


@dataclass(frozen=True, slots=True)
class CredentialNeed:
    """What one venue asks of the secrets: the credential set it names (``venues.NAME.credentials``), whether it
    is the local simulator (whose built-in account needs none) and whether its set must carry a passphrase."""

    set_name: str | None
    simulator: bool
    passphrase: bool


def resolve_credentials(
    needs: Mapping[str, CredentialNeed], environ: Mapping[str, str], secrets: SecretsFile
) -> tuple[dict[str, Credentials], list[tuple[str, str]]]:
    """Each venue's credentials by venue name, and (key path, message) for every set that cannot be found."""
    problems: list[tuple[str, str]] = []
    resolved: dict[str, Credentials] = {}
    for name, venue in needs.items():
        where = f"venues.{name}.credentials"
        if venue.set_name is None:
            # A venue in mode "sim" that names no credentials uses the simulator's built-in account.
            if venue.simulator:
                resolved[name] = Credentials(
                    SecretStr(SIM_API_KEY),
                    SecretStr(SIM_API_SECRET),
                    None,
                    "the simulator's built-in account",
                )
            continue
        optional = () if venue.passphrase else ("passphrase",)
        found = read_secret_set(venue.set_name, _API_FIELDS, environ, secrets, optional)
        if found.missing:
            problems.append((where, found.missing_message(venue.set_name)))
            continue
        passphrase = found.values.get("passphrase")
        resolved[name] = Credentials(
            SecretStr(found.values["api_key"]),
            SecretStr(found.values["api_secret"]),
            SecretStr(passphrase) if passphrase else None,
            found.source,
        )
    return resolved, problems


def read_secrets_file(path: Path | None, base_dir: Path | None) -> tuple[SecretsFile, list[tuple[str, str]]]:
    if path is None:
        return SecretsFile(None, {}), []
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SecretsFile(path, {}), [("secrets_file", f"{path} not found")]
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return SecretsFile(path, {}), [("secrets_file", f"cannot read {path}: {exc}")]
    if os.name == "posix" and path.stat().st_mode & 0o077:
        return SecretsFile(path, {}), [("secrets_file", f"{path} is readable by other users; run: chmod 600 {path}")]
    return SecretsFile(path, {str(k): v for k, v in data.items() if isinstance(v, dict)}), []
