"""Typed keys for what ``create_app`` puts on the aiohttp application.

Route handlers read their dependencies through these; everything behind them is built
once, in app.create_app, and never replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import socketio

    from ..config import Settings
    from ..i18n import Catalogs
    from ..security.crypto import KeyRing
    from ..security.ratelimit import DailyKeyedHasher
    from ..services.container import Services
    from ..storage.base import Durable, Ephemeral
    from .guard import StaffGuard
    from .metrics_http import Metrics
    from .sockets import Namespaces

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
EPHEMERAL: web.AppKey[Ephemeral] = web.AppKey("ephemeral")
DURABLE: web.AppKey[Durable] = web.AppKey("durable")
KEYRING: web.AppKey[KeyRing] = web.AppKey("keyring")
CATALOGS: web.AppKey[Catalogs] = web.AppKey("catalogs")
HASHER: web.AppKey[DailyKeyedHasher] = web.AppKey("hasher")
SIO: web.AppKey[socketio.AsyncServer] = web.AppKey("sio")
SERVICES: web.AppKey[Services] = web.AppKey("services")
GUARD: web.AppKey[StaffGuard] = web.AppKey("guard")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
NAMESPACES: web.AppKey[Namespaces] = web.AppKey("namespaces")
