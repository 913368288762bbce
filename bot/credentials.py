"""API credentials: resolved from the environment or a separate secrets file, never from the config file."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot.config_types import VenueMode
from hedgesim.credentials import SIM_API_KEY, SIM_API_SECRET

if TYPE_CHECKING:
    from bot.config import AppConfig


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


def resolve_credentials(
    config: AppConfig, environ: Mapping[str, str], base_dir: Path | None
) -> tuple[dict[str, Credentials], list[tuple[str, str]]]:
    secrets, problems = _read_secrets_file(config, base_dir)
    resolved: dict[str, Credentials] = {}
    for name, venue in config.venues.items():
        where = f"venues.{name}.credentials"
        if venue.credentials is None:
            # A venue in mode "sim" that names no credentials uses the simulator's built-in account.
            if venue.mode is VenueMode.SIM:
                resolved[name] = Credentials(
                    SecretStr(SIM_API_KEY),
                    SecretStr(SIM_API_SECRET),
                    None,
                    "the simulator's built-in account",
                )
            continue
        prefix = venue.credentials.upper()
        section = secrets.get(venue.credentials, secrets.get(prefix, {}))
        values: dict[str, str] = {}
        missing: list[str] = []
        for field_name in ("api_key", "api_secret", "passphrase"):
            env_name = f"{prefix}_{field_name.upper()}"
            value = environ.get(env_name) or section.get(field_name)
            if value:
                values[field_name] = str(value)
            elif field_name != "passphrase":
                missing.append(env_name)
        if venue.exchange == "okx" and "passphrase" not in values:
            missing.append(f"{prefix}_PASSPHRASE")
        if missing:
            problems.append(
                (
                    where,
                    f"credential set {venue.credentials!r}: environment variable(s) {', '.join(missing)} not set"
                    + (" and not in the secrets file" if config.secrets_file else ""),
                )
            )
            continue
        source = (
            f"environment ({prefix}_*)" if f"{prefix}_API_KEY" in environ else f"secrets file [{venue.credentials}]"
        )
        passphrase = values.get("passphrase")
        resolved[name] = Credentials(
            SecretStr(values["api_key"]),
            SecretStr(values["api_secret"]),
            SecretStr(passphrase) if passphrase else None,
            source,
        )
    return resolved, problems


def _read_secrets_file(
    config: AppConfig, base_dir: Path | None
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    if config.secrets_file is None:
        return {}, []
    path = config.secrets_file
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, [("secrets_file", f"{path} not found")]
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return {}, [("secrets_file", f"cannot read {path}: {exc}")]
    if os.name == "posix" and path.stat().st_mode & 0o077:
        return {}, [("secrets_file", f"{path} is readable by other users; run: chmod 600 {path}")]
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}, []
