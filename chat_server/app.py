"""``create_app(settings)``: the composition root that builds the whole server.

transport (HTTP routes, Socket.IO namespaces) -> services (plain async Python,
services/container.py) -> storage (ephemeral: memory | Redis; durable: SQLite | Redis).
Everything is constructed here once and passed on through constructors; route modules
only add routes; lifetimes (stores, sweeper, alerts) are registered here.
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
from .memory_trim import fix_mmap_threshold, trimmer
from .periodic import guarded, periodic
from .secret_key import StartupError, check_secret, resolve_secret
from .security.crypto import KeyRing
from .security.ratelimit import DailyKeyedHasher
from .services.centre_migration import do_migrate_to_centres
from .services.container import build_services
from .services.observer import Observer
from .services.retention import SWEEP_INTERVAL_S
from .storage import StoreUnavailable, is_redis_url, open_durable, open_ephemeral
from .transport import keys as K
from .transport.admin_http import announce_setup
from .transport.admission import admission_control, session_caps
from .transport.direct_emit import DirectEmitManager
from .transport.guard import SESSION_COOKIE, StaffGuard, same_origin
from .transport.hardened import HardenedServer, engineio_requests
from .transport.http import security_headers, unexpected_errors
from .transport.metrics_http import Metrics
from .transport.notifier import SocketEvents
from .transport.operator import OperatorNamespace
from .transport.routes import setup_routes
from .transport.sockets import Namespaces
from .transport.visitor import VisitorNamespace

__all__ = ["StartupError", "create_app"]

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> web.Application:
    """The one composition root: every store, service, namespace and route is built
    here, once, and handed to what needs it through constructors. Raises StartupError
    for a missing or unusable secret key."""
    # Library loggers never write a visitor's address or request (logging_setup.py),
    # even when a host process configured logging itself.
    install_privacy_filters()
    app = web.Application(
        client_max_size=64 * 1024,
        middlewares=[security_headers, unexpected_errors, engineio_requests(settings.max_http_buffer_size)],
    )
    keyring = KeyRing(resolve_secret(settings))
    catalogs = i18n.Catalogs()
    hasher = DailyKeyedHasher(pepper=keyring.hmac_key, ipv6_prefix=settings.ipv6_prefix)
    eph = open_ephemeral(
        settings.ephemeral_url,
        wait_replicas=settings.effective_redis_wait_replicas,
        wait_timeout_ms=settings.redis_wait_timeout_ms,
    )
    durable = open_durable(settings.effective_durable_url)
    sio = _socketio_server(settings, keyring)
    metrics = Metrics(settings)
    services = build_services(
        settings,
        ephemeral=eph,
        durable=durable,
        keyring=keyring,
        events=SocketEvents(sio),
        translate=catalogs,
        # No metrics of what visitors do (transport/metrics_http.py explains why).
        observer=Observer(),
    )
    guard = StaffGuard(services.staff)
    limits, refused = settings.rate_limits, metrics.refusal
    namespaces = Namespaces(
        visitor=VisitorNamespace(
            services, catalogs, hasher, settings.trust_proxy, rate_limits=limits, refusal_observer=refused
        ),
        operator=OperatorNamespace(services, guard, catalogs, rate_limits=limits, refusal_observer=refused),
    )
    sio.register_namespace(namespaces.visitor)
    sio.register_namespace(namespaces.operator)
    sio.attach(app)
    # Refuse new sessions before the process runs out of descriptors (admission.py).
    visitor_cap, staff_cap = session_caps(settings.max_connections)
    app.middlewares.append(admission_control(lambda: len(sio.eio.sockets), visitor_cap, staff_cap, SESSION_COOKIE))
    if not settings.rate_limits:
        log.warning(
            "CHAT_RATE_LIMITS=false: Socket.IO rate limits are OFF. This is for load "
            "benchmarks only and is UNSAFE in production (floods and connection storms "
            "are no longer refused)."
        )

    app[K.SETTINGS] = settings
    app[K.KEYRING] = keyring
    app[K.CATALOGS] = catalogs
    app[K.HASHER] = hasher
    app[K.EPHEMERAL] = eph
    app[K.DURABLE] = durable
    app[K.SIO] = sio
    app[K.SERVICES] = services
    app[K.GUARD] = guard
    app[K.METRICS] = metrics
    app[K.NAMESPACES] = namespaces
    setup_routes(app)
    app.on_startup.append(announce_setup)
    app.cleanup_ctx.append(_stores_lifetime)
    app.cleanup_ctx.append(_sweeper)
    app.cleanup_ctx.append(_alerts)
    app.cleanup_ctx.append(_console_watch)
    app.cleanup_ctx.append(_retention_sweeper)
    app.cleanup_ctx.append(_malloc_trim)
    return app


def _socketio_server(settings: Settings, keyring: KeyRing) -> HardenedServer:
    # Emits to local clients without a task per recipient (transport/direct_emit.py).
    manager: socketio.AsyncManager = DirectEmitManager()
    if is_redis_url(settings.ephemeral_url):
        from .transport.notifier import CHANNEL_ROOM_PREFIXES
        from .transport.redis_fanout import RoomChannelRedisManager

        # JSON, never pickle, between processes: the pub/sub managers encode with the
        # server's JSON module (checked in python-socketio 5.18; tests/integration/
        # test_redis_mode.py reads the channels to prove it), sealed under a key from
        # the secret. A channel per conversation and staff room, batched publishes
        # (see redis_fanout). Behind Sentinel it follows the primary like the store.
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
    return HardenedServer(
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


def _same_origin_only(origin: str | None, environ: dict[str, Any]) -> bool:
    """Engine.IO's Origin check (called with every request's Origin, or None)."""
    return same_origin(origin, environ.get("aiohttp.request"))


async def _stores_lifetime(app: web.Application) -> AsyncIterator[None]:
    settings = app[K.SETTINGS]
    eph, durable = app[K.EPHEMERAL], app[K.DURABLE]
    if hasattr(durable, "open"):
        await durable.open()
    await check_secret(durable, app[K.KEYRING], settings)
    # An installation from before centres becomes the centre "default" (idempotent).
    await do_migrate_to_centres(durable)
    check = getattr(eph, "persistence_enabled", None)
    if check is not None:
        if await check():
            if not settings.allow_persistent_ephemeral:
                raise StartupError(
                    "the ephemeral Redis or one of its replicas persists to disk, accepts writes as a "
                    "replica, or cannot be checked (see the errors above); conversations would outlive "
                    "their end. Run every node with --save '' --appendonly no (replicas with "
                    "replica-read-only yes), or set CHAT_ALLOW_PERSISTENT_EPHEMERAL=true to override."
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
    """Heartbeat, the presence net, abandoned conversations, the chats of operators gone
    past their grace (services/sweeper.py)."""
    services = app[K.SERVICES]
    interval = app[K.SETTINGS].sweep_interval_s

    async def sweep() -> None:
        await services.sweeper.sweep()
        await app[K.HASHER].sync(app[K.EPHEMERAL])

    step = guarded("sweep", sweep, "the ephemeral store")

    # Alive before the first visitor connects: another process must not judge this
    # one's sockets gone for want of a heartbeat.
    try:
        await services.presence.heartbeat()
    except StoreUnavailable:
        log.warning("first heartbeat skipped: the ephemeral store is unavailable")
    async with periodic("sweeper", interval, step):
        yield


async def _alerts(app: web.Application) -> AsyncIterator[None]:
    """Alert supervisors about urgent chats that wait too long, and offer waiting
    visitors another centre when theirs overflows (services/overflow.py)."""
    supervision = app[K.SERVICES].supervision
    overflow = app[K.SERVICES].overflow  # offering another centre changes with time too
    interval = max(0.2, min(5.0, app[K.SETTINGS].sweep_interval_s))

    async def sweep() -> None:
        await supervision.alert_sweep()
        await overflow.sweep()

    step = guarded("urgent alert sweep", sweep, "the ephemeral store")

    async with periodic("urgent-alerts", interval, step):
        yield


#: How often this process checks the staff sessions of its consoles (s): a console whose
#: session ended (expired, or revoked where nobody announced it) closes within a second.
CONSOLE_WATCH_S = 0.5


async def _console_watch(app: web.Application) -> AsyncIterator[None]:
    """Close the consoles of staff sessions that ended (transport/guard.py)."""
    operator = app[K.NAMESPACES].operator

    step = guarded("console session check", operator.close_ended_sessions)

    async with periodic("console-sessions", CONSOLE_WATCH_S, step):
        yield


async def _retention_sweeper(app: web.Application) -> AsyncIterator[None]:
    """Deletes audit entries and statistics past their retention, at start and hourly."""
    retention = app[K.SERVICES].retention

    step = guarded("retention sweep", retention.sweep, "the durable store")

    await step()
    async with periodic("retention", SWEEP_INTERVAL_S, step):
        yield


async def _malloc_trim(app: web.Application) -> AsyncIterator[None]:
    """Give the C allocator's free memory back to the system every ``malloc_trim_s``
    seconds (chat_server/memory_trim.py), in a worker thread."""
    interval = app[K.SETTINGS].malloc_trim_s
    trim = trimmer() if interval > 0 else None
    if trim is not None:
        fix_mmap_threshold()
    if trim is None:
        yield
        return

    async def step() -> None:
        try:
            await asyncio.to_thread(trim)
        except Exception:  # noqa: BLE001 - never let this stop the server
            log.exception("malloc_trim failed")

    async with periodic("malloc-trim", interval, step):
        yield
