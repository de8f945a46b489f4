"""Typed keys for what ``create_app`` puts on the aiohttp application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import socketio

    from ..config import Settings
    from ..i18n import Catalogs
    from ..security.crypto import KeyRing
    from ..security.ratelimit import DailyKeyedHasher
    from ..services.audit import Audit
    from ..services.conversations import Conversations
    from ..services.hours import Hours
    from ..services.retention import Retention
    from ..services.staff import StaffService
    from ..services.stats import Stats
    from ..storage.base import Durable, Ephemeral

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
EPHEMERAL: web.AppKey[Ephemeral] = web.AppKey("ephemeral")
DURABLE: web.AppKey[Durable] = web.AppKey("durable")
KEYRING: web.AppKey[KeyRing] = web.AppKey("keyring")
CATALOGS: web.AppKey[Catalogs] = web.AppKey("catalogs")
HASHER: web.AppKey[DailyKeyedHasher] = web.AppKey("hasher")
SIO: web.AppKey[socketio.AsyncServer] = web.AppKey("sio")
CONVERSATIONS: web.AppKey[Conversations] = web.AppKey("conversations")
STAFF: web.AppKey[StaffService] = web.AppKey("staff")
AUDIT: web.AppKey[Audit] = web.AppKey("audit")
HOURS: web.AppKey[Hours] = web.AppKey("hours")
STATS: web.AppKey[Stats] = web.AppKey("stats")
RETENTION: web.AppKey[Retention] = web.AppKey("retention")
