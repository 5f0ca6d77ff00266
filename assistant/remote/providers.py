"""Provider presets (resources/providers.toml) merged with the user's overrides and own servers."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import BadInput
from ..resources import resource
from .settings import RemoteSettings

KEY_MODES = ("required", "optional", "none")
MODELS_APIS = ("openai", "ollama")
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Provider:
    """One OpenAI-compatible server. Holds no secret: the API key is looked up when needed."""

    name: str
    label: str
    base_url: str
    model: str = ""
    key: str = "optional"  # required | optional | none
    key_env: str = ""  # a conventional environment variable for the key (OPENAI_API_KEY...)
    local: bool = False  # normally runs on the user's own computer or network
    models_api: str = "openai"  # openai | ollama
    max_edge: int = 1536
    max_bytes: int = 4_000_000
    read_timeout: float = 120.0
    tokens_field: str = "max_tokens"
    extra_body: dict = field(default_factory=dict, compare=False)  # extra request fields
    docs: str = ""

    @property
    def scheme(self) -> str:
        return urlsplit(self.base_url).scheme.lower()

    @property
    def hostname(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def port(self) -> int | None:
        parts = urlsplit(self.base_url)
        try:
            return parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return None

    @property
    def host(self) -> str:
        """Where pictures go, as users should hear it: the host name, plus the port if unusual."""
        port = self.port
        if port is None or DEFAULT_PORTS.get(self.scheme) == port:
            return self.hostname
        return f"{self.hostname}:{port}"

    @property
    def origin(self) -> str:
        """scheme://host:port: what consent is recorded for."""
        return f"{self.scheme}://{self.hostname}:{self.port}"

    @property
    def root_url(self) -> str:
        """The server's root (base_url without a trailing /v1), for native APIs such as Ollama's."""
        url = self.base_url.rstrip("/")
        return url[: -len("/v1")] if url.endswith("/v1") else url

    def validate(self) -> None:
        """Raise BadInput with a plain sentence if this provider cannot be used as configured."""
        parts = urlsplit(self.base_url)
        if not self.base_url:
            raise BadInput(f"{self.label} has no server address yet. Set its address in Settings.")
        if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
            raise BadInput(
                f"The address of {self.label} must start with http:// or https:// and name a server, "
                "for example http://localhost:11434/v1."
            )
        if parts.username or parts.password:
            raise BadInput(
                f"The address of {self.label} contains a user name or password. Remove it and store the API key "
                "in the keyring instead."
            )
        if self.port is None:
            raise BadInput(f"The address of {self.label} has a port that is not a number.")

    def with_model(self, model: str | None) -> Provider:
        return dataclasses.replace(self, model=model) if model else self


OVERRIDABLE = {f.name for f in dataclasses.fields(Provider)} - {"name"}


def load_presets() -> dict[str, Provider]:
    """The packaged presets, by name."""
    raw = tomllib.loads(resource("providers.toml").read_text(encoding="utf-8"))
    return {name: _provider(name, fields) for name, fields in raw.get("providers", {}).items()}


def list_providers(settings: RemoteSettings | None = None) -> list[Provider]:
    """Every provider the user can choose: the presets with their overrides, then their own servers."""
    settings = settings or RemoteSettings()
    providers = load_presets()
    for name, overrides in settings.providers.items():
        base = dataclasses.asdict(providers[name]) if name in providers else {"label": name}
        base.update({k: v for k, v in overrides.items() if k in OVERRIDABLE})
        base.pop("name", None)
        providers[name] = _provider(name, base)
    return list(providers.values())


def get_provider(name: str | None = None, settings: RemoteSettings | None = None, model: str | None = None) -> Provider:
    """The provider `name` (default: the settings' choice) with `model` (default: the settings'
    model when the provider is the settings' choice, else the preset's)."""
    settings = settings or RemoteSettings()
    wanted = (name or settings.provider or "").strip()
    by_name = {p.name: p for p in list_providers(settings)}
    if wanted not in by_name:
        known = ", ".join(sorted(by_name))
        raise BadInput(f"There is no picture server named '{wanted}'. Choose one of: {known}.")
    provider = by_name[wanted]
    if not model and wanted == settings.provider and settings.model:
        model = settings.model
    return provider.with_model(model)


def _provider(name: str, fields: dict[str, Any]) -> Provider:
    known = {k: v for k, v in fields.items() if k in OVERRIDABLE}
    known.setdefault("label", name)
    known.setdefault("base_url", "")
    if known.get("key", "optional") not in KEY_MODES:
        known["key"] = "optional"
    if known.get("models_api", "openai") not in MODELS_APIS:
        known["models_api"] = "openai"
    for number in ("max_edge", "max_bytes"):
        if number in known:
            known[number] = int(known[number])
    if "read_timeout" in known:
        known["read_timeout"] = float(known["read_timeout"])
    known["extra_body"] = dict(known.get("extra_body") or {})
    return Provider(name=name, **known)


# ---- where a server is ---------------------------------------------------------------------------
LOCAL_SUFFIXES = (".localhost",)
PRIVATE_SUFFIXES = (".local", ".lan", ".home.arpa", ".internal", ".intranet")


def host_scope(hostname: str, resolve: Callable[[str], list[str]] | None = None) -> str:
    """ "loopback", "private" (private, link-local or unique-local network) or "public" for a host.

    IP literals and the localhost names are decided without the network. Other names are looked
    up with `resolve` (default: the system resolver) and count as private only if every address
    is; a name that cannot be resolved is "public" (it cannot be shown to be local)."""
    hostname = hostname.strip("[]").lower()
    if hostname == "localhost" or hostname.endswith(LOCAL_SUFFIXES):
        return "loopback"
    literal = _scope_of_address(hostname)
    if literal is not None:
        return literal
    if "." not in hostname or hostname.endswith(PRIVATE_SUFFIXES):
        return "private"  # a single-label or site-local name only resolves inside the user's network
    try:
        addresses = (resolve or _resolve)(hostname)
    except OSError:
        return "public"
    scopes = {_scope_of_address(a) for a in addresses}
    if scopes and scopes <= {"loopback"}:
        return "loopback"
    if scopes and scopes <= {"loopback", "private"}:
        return "private"
    return "public"


def _scope_of_address(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None
    if address.is_loopback:
        return "loopback"
    if not address.is_global:
        return "private"  # private, link-local, unique-local, carrier-grade NAT (VPNs such as Tailscale)
    return "public"


def _resolve(hostname: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(hostname, None)]
