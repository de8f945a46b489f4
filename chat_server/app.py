"""``create_app(settings)``: builds the whole server from its settings.

transport (HTTP routes, Socket.IO namespaces) -> services (plain async Python) ->
storage (ephemeral: memory | Redis; durable: SQLite | Redis).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web

from . import i18n
from .config import Settings
from .logging_setup import install_privacy_filters
from .periodic import periodic
from .secret_key import StartupError, check_secret, resolve_secret
from .security.crypto import KeyRing
from .security.ratelimit import DailyKeyedHasher
from .services.audit import Audit
from .services.conversations import Conversations
from .services.hours import Hours
from .services.retention import SWEEP_INTERVAL_S, Retention
from .services.staff import StaffService
from .services.stats import Stats
from .storage import StoreUnavailable, open_durable, open_ephemeral
from .transport import keys as K
from .transport.direct_emit import DirectEmitManager
from .transport.hardened import HardenedServer, engineio_requests
from .transport.http import same_origin, security_headers, setup_routes, unexpected_errors
from .transport.notifier import SocketEvents
from .transport.operator import OperatorNamespace
from .transport.operator_referral_events import install_rc_features
from .transport.visitor import VisitorNamespace

__all__ = ["StartupError", "create_app"]

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> web.Application:
    # Library loggers never write a visitor's address or request (logging_setup.py),
    # even when a host process configured logging itself.
    install_privacy_filters()
    app = web.Application(
        client_max_size=64 * 1024,
        middlewares=[security_headers, unexpected_errors, engineio_requests(settings.max_http_buffer_size)],
    )
    app[K.SETTINGS] = settings
    keyring = KeyRing(resolve_secret(settings))
    app[K.KEYRING] = keyring
    app[K.CATALOGS] = catalogs = i18n.Catalogs()
    app[K.HASHER] = hasher = DailyKeyedHasher(pepper=keyring.hmac_key, ipv6_prefix=settings.ipv6_prefix)

    eph = open_ephemeral(settings.ephemeral_url)
    durable = open_durable(settings.effective_durable_url)
    app[K.EPHEMERAL] = eph
    app[K.DURABLE] = durable

    # Emits to local clients without a task per recipient (transport/direct_emit.py).
    manager: socketio.AsyncManager = DirectEmitManager()
    if settings.ephemeral_url.startswith(("redis://", "rediss://")):
        from .transport.notifier import CHANNEL_ROOM_PREFIXES
        from .transport.redis_fanout import RoomChannelRedisManager

        # JSON, never pickle, between processes: the pub/sub managers encode with the
        # server's JSON module (checked in python-socketio 5.18; tests/integration/
        # test_redis_mode.py reads the channels to prove it), sealed under a key from
        # the secret. A channel per conversation and staff room, batched publishes
        # (see redis_fanout).
        manager = RoomChannelRedisManager(
            settings.ephemeral_url,
            channel="rc-chat",
            room_prefixes=CHANNEL_ROOM_PREFIXES,
            fanout_master=keyring.fanout_master,
            json=socketio.packet.Packet.json,
        )

    # Browsers only open sockets from our own pages (the widget iframe and the console
    # are served from this origin), so Engine.IO's same-origin check is the right one;
    # non-browser clients send no Origin. Credentials (cookies) are never sent
    # cross-origin to the visitor side. CHAT_ALLOWED_ORIGINS only names the host sites
    # that may *frame* /widget/ (CSP frame-ancestors); they never open sockets
    # themselves, so a foreign Origin is refused at the handshake on both namespaces.
    # HardenedServer drops packet kinds our protocol never uses, sends nothing before a
    # namespace's CONNECT and closes connections that join no namespace (hardened.py);
    # its Engine.IO layer accepts whole long-polling payloads and closes sessions that
    # send garbage (engine.py).
    sio = HardenedServer(
        connect_timeout=settings.connect_timeout_s,
        async_mode="aiohttp",
        client_manager=manager,
        # Our own check, not Engine.IO's default: with no list it also trusts a
        # client-sent X-Forwarded-Host/-Proto, even with CHAT_TRUST_PROXY off.
        # same_origin() reads forwarded headers only when the proxy is trusted.
        cors_allowed_origins=_same_origin_only,
        cors_credentials=False,
        max_http_buffer_size=settings.max_http_buffer_size,
        ping_interval=settings.ping_interval_s,
        ping_timeout=settings.ping_timeout_s,
        always_connect=False,
        logger=logging.getLogger("socketio.server"),
        engineio_logger=logging.getLogger("engineio.server"),
        transports=["polling", "websocket"],
    )
    sio.attach(app)
    app[K.SIO] = sio

    events = SocketEvents(sio)
    audit = app[K.AUDIT] = Audit(durable)
    hours = app[K.HOURS] = Hours(durable)
    stats = app[K.STATS] = Stats(durable, settings.stats_retention_days)
    app[K.RETENTION] = Retention(durable, settings.audit_retention_days, settings.stats_retention_days)
    staff = app[K.STAFF] = StaffService(durable, eph, keyring, settings, audit)
    conversations = app[K.CONVERSATIONS] = Conversations(
        eph, keyring, events, catalogs, settings, hours, stats, staff.locale_of
    )

    async def blocked(address_key: str) -> bool:
        return bool(address_key) and await eph.get("blocked", address_key) is not None

    sio.register_namespace(VisitorNamespace(conversations, catalogs, hasher, settings.trust_proxy, blocked))
    sio.register_namespace(
        OperatorNamespace(conversations, staff, audit, catalogs, lambda origin, request: same_origin(origin, request))
    )
    install_rc_features(app)  # routing, referral directory, follow-up codes
    if not settings.rate_limits:
        for namespace in sio.namespace_handlers.values():
            namespace.rate_limits_enabled = False
        log.warning(
            "CHAT_RATE_LIMITS=false: Socket.IO rate limits are OFF. This is for load "
            "benchmarks only and is UNSAFE in production (floods and connection storms "
            "are no longer refused)."
        )

    setup_routes(app)
    # Feature routes live in their own modules (console administration, referral
    # directory and statistics, metrics); each adds its routes here.
    for extra in _feature_route_modules():
        extra.setup_routes(app)
    app.cleanup_ctx.append(_stores_lifetime)
    app.cleanup_ctx.append(_sweeper)
    app.cleanup_ctx.append(_retention_sweeper)
    return app


def _same_origin_only(origin: str | None, environ: dict[str, Any]) -> bool:
    """Engine.IO's Origin check (called with every request's Origin, or None)."""
    return same_origin(origin, environ.get("aiohttp.request"))


def _feature_route_modules() -> list[Any]:
    import importlib

    modules = []
    for name in ("admin_http", "referral_http", "metrics_http"):
        try:
            modules.append(importlib.import_module(f".transport.{name}", __package__))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.transport.{name}":
                raise
    return modules


async def _stores_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[K.SETTINGS]
    eph, durable = app[K.EPHEMERAL], app[K.DURABLE]
    if hasattr(durable, "open"):
        await durable.open()
    await check_secret(durable, app[K.KEYRING], settings)
    check = getattr(eph, "persistence_enabled", None)
    if check is not None:
        if await check():
            if not settings.allow_persistent_ephemeral:
                raise StartupError(
                    "the ephemeral Redis persists to disk (save or appendonly is on); conversations "
                    "would outlive their end. Run it with --save '' --appendonly no, or set "
                    "CHAT_ALLOW_PERSISTENT_EPHEMERAL=true to override."
                )
            log.warning("the ephemeral Redis persists to disk: overridden by CHAT_ALLOW_PERSISTENT_EPHEMERAL")
    await app[K.HASHER].sync(eph)
    sio = app[K.SIO]
    if isinstance(sio.manager, socketio.AsyncRedisManager) and not sio.manager_initialized:
        # Subscribe to the fan-out channel now rather than on the first connection
        # (python-socketio's default), so a node that takes over visitors from a failed
        # one already hears its peers when the first of them resumes here.
        sio.manager_initialized = True
        sio.manager.initialize()
    yield
    # Bounded: a stuck transport must not keep a stopping process (or a rolling upgrade)
    # waiting forever; the stores are closed either way.
    for step, timeout in ((app[K.SIO].shutdown, 10.0), (eph.close, 5.0), (durable.close, 5.0)):
        try:
            await asyncio.wait_for(step(), timeout)
        except TimeoutError:
            log.warning("shutdown step %s did not finish within %.0f s", step.__qualname__, timeout)


async def _sweeper(app: web.Application) -> AsyncIterator[None]:
    """Abandons conversations whose visitor is gone past the grace period."""
    conversations = app[K.CONVERSATIONS]
    interval = app[K.SETTINGS].sweep_interval_s

    async def step() -> None:
        try:
            await conversations.sweep()
            await app[K.HASHER].sync(app[K.EPHEMERAL])
        except StoreUnavailable:
            # Expected while Redis restarts; the next round catches up.
            log.warning("sweep skipped: the ephemeral store is unavailable")
        except Exception:  # noqa: BLE001 - keep sweeping whatever happens
            log.exception("sweep failed")

    async with periodic("sweeper", interval, step):
        yield


async def _retention_sweeper(app: web.Application) -> AsyncIterator[None]:
    """Deletes audit entries and statistics past their retention, at start and hourly."""
    retention = app[K.RETENTION]

    async def step() -> None:
        try:
            await retention.sweep()
        except StoreUnavailable:
            log.warning("retention sweep skipped: the durable store is unavailable")
        except Exception:  # noqa: BLE001 - keep sweeping whatever happens
            log.exception("retention sweep failed")

    await step()
    async with periodic("retention", SWEEP_INTERVAL_S, step):
        yield
