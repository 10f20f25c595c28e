"""Contexts: the same YAML file as the `flywheel` CLI (cli/README.md), so `flywheel context set/use` serves both."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

SERVICES = ("scheduler", "orchestrator", "registry", "feature-store", "serving", "monitoring")
# Each service's default port, as @flywheel/runtime's servicePorts.
DEFAULT_PORTS = {name: 7101 + i for i, name in enumerate(SERVICES)}


@dataclass(frozen=True)
class Context:
    """One platform: a host for every service on its default port, and/or `host:port` per service."""

    host: str | None = None
    addresses: dict[str, str] = field(default_factory=dict)
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    token: str | None = None

    def address(self, service: str) -> str:
        if service in self.addresses:
            return self.addresses[service]
        if not self.host:
            raise ConfigError(f"the context gives no address for {service}: set host or addresses.{service}")
        return f"{self.host}:{DEFAULT_PORTS[service]}"


def config_path() -> Path:
    """`$FLYWHEEL_CONFIG`, else `$XDG_CONFIG_HOME/flywheel/config.yaml`, else `~/.config/flywheel/config.yaml`."""
    if os.environ.get("FLYWHEEL_CONFIG"):
        return Path(os.environ["FLYWHEEL_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "flywheel" / "config.yaml"


def read_contexts(path: Path) -> tuple[str | None, dict[str, Any]]:
    """(current-context, contexts) of the config file; a missing file has none."""
    if not path.exists():
        return None, {}
    try:
        parsed = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"config {path} is not YAML: {error}") from error
    if not isinstance(parsed, dict) or not isinstance(parsed.get("contexts", {}), dict):
        raise ConfigError(f'config {path} must be a mapping with "contexts" (name → context)')
    return parsed.get("current-context"), parsed.get("contexts") or {}


def load_context(name: str | None) -> Context:
    """The context `name`, else `$FLYWHEEL_CONTEXT`, else the file's current-context."""
    path = config_path()
    current, contexts = read_contexts(path)
    chosen = name or os.environ.get("FLYWHEEL_CONTEXT") or current
    if not chosen:
        raise ConfigError(f"no context chosen: run `flywheel context set <name> --host <host>` then `flywheel context use <name>` (config {path})")
    raw = contexts.get(chosen)
    if not isinstance(raw, dict):
        known = f" (known: {', '.join(contexts)})" if contexts else ""
        raise ConfigError(f'no context "{chosen}" in {path}{known}')
    for key in raw:
        if key not in ("host", "addresses", "tls", "token"):
            raise ConfigError(f'config {path}: context "{chosen}": unknown key "{key}"')
    addresses = raw.get("addresses") or {}
    for service in addresses:
        if service not in SERVICES:
            raise ConfigError(f'config {path}: context "{chosen}": addresses.{service}: not a service ({", ".join(SERVICES)})')
    tls = raw.get("tls") or {}
    return Context(
        host=raw.get("host"),
        addresses=dict(addresses),
        ca=tls.get("ca"),
        cert=tls.get("cert"),
        key=tls.get("key"),
        token=raw.get("token"),
    )
