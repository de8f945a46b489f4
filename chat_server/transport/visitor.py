"""The ``/visitor`` namespace: anonymous visitors in the widget.

Parse, validate, call the conversation service, acknowledge. The visitor is bound to
its own conversation through the socket's session; no visitor event names a
conversation id, so a visitor cannot reach anyone else's.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import i18n
from ..security.ratelimit import DailyKeyedHasher, TokenBuckets
from ..services.conversations import Conversations, VisitorSession
from ..services.errors import MSG_FORBIDDEN, MSG_RATE_LIMITED, ServiceError
from . import validation as v
from .client_info import address_key
from .guarded import GuardedNamespace, connect_locale, ok
from .notifier import VISITOR_NS, visitor_room
from .visitor_followup_events import VisitorFollowupMixin

log = logging.getLogger(__name__)


class VisitorNamespace(VisitorFollowupMixin, GuardedNamespace):
    limits = {
        "message": (2.0, 20.0),
        "typing": (4.0, 10.0),
        "start": (0.5, 6.0),
        "end": (1.0, 3.0),
        "exit": (1.0, 5.0),
    }

    def __init__(
        self, conversations: Conversations, translate: Any, hasher: DailyKeyedHasher, trust_proxy: bool, blocked: Any
    ) -> None:
        super().__init__(VISITOR_NS, translate)
        self.conversations = conversations
        self.hasher = hasher
        self.trust_proxy = trust_proxy
        self.blocked = blocked
        # Per address key: new connections and new conversations.
        self.connect_limit = TokenBuckets(rate=1.0, burst=30)
        self.start_limit = TokenBuckets(rate=0.1, burst=5)
        self._sessions: dict[str, VisitorSession] = {}
        self._addr: dict[str, str] = {}
        self._resumed: dict[str, dict[str, Any] | None] = {}  # until after_connect

    async def locale_of(self, sid: str) -> str:
        sess = self._sessions.get(sid)
        return sess.locale if sess else i18n.DEFAULT_LOCALE

    def session_of(self, sid: str) -> VisitorSession:
        sess = self._sessions.get(sid)
        if sess is None:  # an event raced a disconnect
            raise ServiceError("not_found", MSG_FORBIDDEN)
        return sess

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            auth = v.validate(auth, v.VISITOR_AUTH)
        except ServiceError as exc:
            raise self.refuse_connect(connect_locale(environ), "invalid") from exc
        key = address_key(environ, self.trust_proxy, self.hasher)
        if self.rate_limits_enabled and not self.connect_limit.take(key):
            raise self.refuse_connect(connect_locale(environ, auth), "rate_limited")
        locale = auth.get("locale")
        if not i18n.is_supported(locale):
            locale = i18n.negotiate(i18n.parse_accept_language(environ.get("HTTP_ACCEPT_LANGUAGE")))
        sess, conv = await self.conversations.open_session(auth.get("resume"), locale)
        if auth.get("locale") and i18n.is_supported(auth.get("locale")):
            sess.locale = auth["locale"]
        self._sessions[sid] = sess
        self._addr[sid] = key
        self._resumed[sid] = conv

    async def after_connect(self, sid: str) -> None:
        """After the CONNECT packet: join a resumed conversation, then ``session`` (and
        after a resume ``history``, ``state``, ``queue``)."""
        sess, conv = self._sessions.get(sid), self._resumed.pop(sid, None)
        if sess is None:  # gone already
            return
        if conv is not None:
            await self.enter_room(sid, visitor_room(conv["id"]))
            conv = await self.conversations.visitor_connected(conv, sid)
        await self.emit("session", await self.conversations.session_payload(sess, conv), to=sid)
        if conv is not None:
            await self.conversations.resume_announce(sess, conv)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        sess = self._sessions.pop(sid, None)
        self._addr.pop(sid, None)
        self._resumed.pop(sid, None)
        self.forget(sid)
        if sess is not None:
            await self.conversations.visitor_disconnected(sess, sid)

    async def on_start(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.START)
        sess = self.session_of(sid)
        key = self._addr.get(sid, "")
        if await self.blocked(key):
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        if self.rate_limits_enabled and not sess.conversation_id and not self.start_limit.take(key):
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)

        async def attach(conversation_id: str) -> None:
            await self.enter_room(sid, visitor_room(conversation_id))

        brief, announce = await self.conversations.start(sess, params, attach, sid)
        self.server.start_background_task(announce)
        return ok(conversation=brief)

    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.VISITOR_MESSAGE)
        result = await self.conversations.visitor_message(self.session_of(sid), params["client_id"], params["text"])
        return ok(**result)

    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.TYPING)
        await self.conversations.visitor_typing(self.session_of(sid), params["active"])
        return ok()

    async def on_end(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        sess = self.session_of(sid)
        conversation_id = sess.conversation_id
        await self.conversations.visitor_end(sess)
        if conversation_id:
            await self.leave_room(sid, visitor_room(conversation_id))
        return ok()

    async def on_exit(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        sess = self.session_of(sid)
        conversation_id = sess.conversation_id
        await self.conversations.visitor_exit(sess)
        if conversation_id:
            await self.leave_room(sid, visitor_room(conversation_id))
        return ok()
