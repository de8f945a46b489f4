"""Settings: read once at start from ``CHAT_*`` environment variables or a TOML file.

Secrets are wrapped in :class:`Secret` so they never end up in a log line or a repr,
and can be given as files (``CHAT_SECRET_KEY_FILE``), which is how systemd credentials,
Docker and Kubernetes secrets hand them over.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .services.origins import normalise_origin
from .storage.redis_url import SENTINEL_SCHEMES, is_redis_url, parse_redis_url


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Every tunable of a deployment. Build with :func:`load_settings`."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    ephemeral_url: str = "memory://"
    durable_url: str = ""  # empty: sqlite:///<data_dir>/rc.sqlite3
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    allowed_origins: tuple[str, ...] = ()
    public_url: str = ""  # e.g. https://chat.example.se; empty: derived per request
    log_level: str = "INFO"
    log_json: bool = False
    trust_proxy: bool = False
    # Conversation lifecycle
    grace_period_s: int = 600
    operator_grace_s: int = 60
    max_conversation_s: int = 6 * 3600
    sweep_interval_s: float = 2.0
    # Give free memory of the C allocator back to the system this often (s, glibc only;
    # 0 turns it off): chat_server/memory_trim.py.
    malloc_trim_s: float = 60.0
    # Wait estimates (services/waiting.py): the handling time a chat is assumed to take
    # until answered chats give a rolling average; a waiting visitor whose expected wait
    # passes the limit (0: never) is offered the national helplines.
    avg_handle_time_s: int = 600
    wait_limit_s: int = 1200
    # Routing (services/routing.py): "auto" offers each chat to one suitable operator,
    # "pick" lets operators pick from the queue themselves.
    routing_mode: str = "auto"
    offer_timeout_s: int = 30  # an offer not taken in time goes to the next operator
    language_fallback_s: int = 120  # then any operator, flagged "interpreter needed"
    max_chats_default: int = 3  # per operator unless their account says otherwise
    # Staff sessions
    session_idle_s: int = 30 * 60
    session_absolute_s: int = 12 * 3600
    # Operator console: supervisors are alerted when an urgent chat waits this long;
    # a blocked visitor's rate-limit key stays blocked this long; the first-run setup
    # link expires after this long.
    urgent_alert_s: int = 120
    block_s: int = 6 * 3600
    # The queue under abuse (services/queue_guard.py): at most this many conversations
    # wait at once, and this many from one address key (a school class of 30 must fit,
    # issue 17); supervisors are alerted when one address key starts this many chats
    # within a minute, or everyone together this many.
    max_waiting: int = 100
    max_waiting_per_key: int = 40
    burst_alert_per_key: int = 10
    burst_alert_total: int = 20
    # Rate limits and blocks key on the IPv4 address, or on the IPv6 network of this
    # many bits (one subscriber; security/ratelimit.py limit_subject).
    ipv6_prefix: int = 64
    setup_token_s: int = 3600
    # Who may read /metrics (transport/metrics_http.py): these networks, or a scraper
    # sending "Authorization: Bearer <metrics_token>".
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    metrics_token: Secret = field(default_factory=lambda: Secret(""))
    # Retention of what outlives conversations (services/retention.py): audit rows older
    # than this are deleted; statistics by whole calendar months, once the month that
    # began this long ago has passed. 0 keeps them forever.
    audit_retention_days: int = 730
    stats_retention_days: int = 1096
    # Allow an ephemeral Redis that persists to disk (refused by default).
    allow_persistent_ephemeral: bool = False
    # Replicas of the ephemeral Redis that must confirm every write before a client is
    # told it is done (WAIT; storage/redis_client.py), and how long to wait for them
    # per batch before acknowledging anyway. -1: 1 behind Sentinel, 0 otherwise.
    redis_wait_replicas: int = -1
    redis_wait_timeout_ms: int = 100
    # Per-connection and per-address rate limits on the Socket.IO namespaces. Turning
    # them off is ONLY for load benchmarks from one address (chat_server/bench/bench.py);
    # never in production: the server logs a loud warning at start when it is off.
    rate_limits: bool = True
    default_locale: str = "sv"
    # Socket.IO / Engine.IO
    max_http_buffer_size: int = 64 * 1024
    ping_interval_s: int = 20
    ping_timeout_s: int = 20
    # Engine.IO sessions one process admits; 0: automatic, from the open-files limit
    # less a reserve (transport/admission.py). Beyond it new connections get 503.
    max_connections: int = 0
    # An Engine.IO connection that has joined no namespace for this long is closed
    # (socket.io's connectTimeout, also 45 s). 0 turns it off.
    connect_timeout_s: float = 45.0

    @property
    def effective_durable_url(self) -> str:
        return self.durable_url or f"sqlite:///{self.data_dir / 'rc.sqlite3'}"

    @property
    def effective_redis_wait_replicas(self) -> int:
        """``redis_wait_replicas``, with "automatic" (-1) resolved: one replica behind
        Sentinel (a primary and at least one replica), none for a single Redis."""
        if self.redis_wait_replicas >= 0:
            return self.redis_wait_replicas
        return 1 if self.ephemeral_url.lower().startswith(SENTINEL_SCHEMES) else 0


_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, annotation: str, raw: Any) -> Any:
    try:
        if annotation == "int":
            return int(raw)
        if annotation == "float":
            return float(raw)
        if annotation == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _BOOL_TRUE:
                return True
            if text in _BOOL_FALSE:
                return False
            raise ValueError(raw)
        if annotation == "Path":
            return Path(str(raw))
        if annotation == "Secret":
            return Secret(str(raw).strip())
        if annotation == "tuple[str, ...]":
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            return tuple(str(i).strip().rstrip("/") for i in items if str(i).strip())
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name}: cannot read {raw!r} as {annotation}") from exc


def load_settings(
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
    **overrides: Any,
) -> Settings:
    """Read settings: TOML file first, then ``CHAT_*`` environment, then ``overrides``.

    ``CHAT_X_FILE`` reads the value of ``x`` from a file (for secrets).
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    known = {f.name: str(f.type) for f in fields(Settings)}

    path = config_file or env.get("CHAT_CONFIG")
    if path:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        for key, raw in data.items():
            if key.endswith("_file") and key[:-5] in known:
                values[key[:-5]] = _coerce(key[:-5], known[key[:-5]], _read_secret_file(raw))
                continue
            if key not in known:
                raise SettingsError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, known[key], raw)

    for name, annotation in known.items():
        var = "CHAT_" + name.upper()
        if var + "_FILE" in env:
            values[name] = _coerce(name, annotation, _read_secret_file(env[var + "_FILE"]))
        elif var in env:
            values[name] = _coerce(name, annotation, env[var])

    for name, raw in overrides.items():
        if name not in known:
            raise SettingsError(f"unknown setting {name!r}")
        values[name] = raw if not isinstance(raw, str) else _coerce(name, known[name], raw)

    settings = Settings(**values)
    if settings.grace_period_s < 0 or settings.max_http_buffer_size > 64 * 1024:
        raise SettingsError("grace_period_s must be >= 0; max_http_buffer_size <= 65536")
    if settings.audit_retention_days < 0 or settings.stats_retention_days < 0:
        raise SettingsError("audit_retention_days and stats_retention_days must be >= 0")
    if min(settings.max_waiting, settings.max_waiting_per_key, settings.burst_alert_per_key) < 1:
        raise SettingsError("max_waiting, max_waiting_per_key and burst_alert_per_key must be >= 1")
    if settings.wait_limit_s < 0 or settings.avg_handle_time_s < 1:
        raise SettingsError("wait_limit_s must be >= 0 and avg_handle_time_s >= 1")
    if not 32 <= settings.ipv6_prefix <= 128:
        raise SettingsError("ipv6_prefix must be between 32 and 128")
    if settings.redis_wait_replicas < -1 or settings.redis_wait_timeout_ms < 1:
        raise SettingsError("redis_wait_replicas must be >= -1 and redis_wait_timeout_ms >= 1")
    for name in ("ephemeral_url", "durable_url"):
        url = getattr(settings, name)
        if is_redis_url(url):
            try:
                parse_redis_url(url)
            except ValueError as exc:
                raise SettingsError(f"{name}: {exc}") from exc
    for entry in settings.allowed_origins:
        # Into the widget's Content-Security-Policy (frame-ancestors): only real origins.
        if normalise_origin(entry) is None:
            raise SettingsError(f"allowed_origins: {entry!r} is not an origin such as https://www.example.se")
    for entry in settings.metrics_allow:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise SettingsError(f"metrics_allow: {entry!r} is not an address or network") from exc
    return settings


def _read_secret_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"cannot read secret file {path}: {exc.strerror}") from exc
