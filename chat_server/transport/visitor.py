"""The ``/visitor`` namespace: anonymous visitors in the widget.

Each handler parses, calls one service, and acknowledges. The visitor is bound to its
own conversation through the socket's session; no visitor event names a conversation
id, so a visitor cannot reach anyone else's.

Follow-up codes: ``followup_request`` ``{}`` asks the operator for a code;
``followup`` ``{"code"}`` redeems one (after ``start``; it works once);
``followup_revoke`` ``{"code"}`` cancels one (any time). Tries are limited per
connection here and per address key in the service.

``feedback`` ``{"token", "answer"}``: the one-question feedback after an answered chat
(services/feedback.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import socketio

from .. import i18n
from ..security.ratelimit import DailyKeyedHasher, TokenBuckets
from ..services.container import Services
from ..services.domain import Conversation, VisitorSession
from ..services.errors import MSG_FORBIDDEN, MSG_RATE_LIMITED, ServiceError
from ..services.starting import StartRequest
from . import validation as v
from .client_info import address_key
from .direct_emit import DirectEmitManager
from .guard import own_origin
from .guarded import GuardedNamespace, connect_locale, ok
from .notifier import VISITOR_NS, visitor_room

log = logging.getLogger(__name__)


class VisitorNamespace(GuardedNamespace):
    limits = {
        "message": (2.0, 20.0),
        "typing": (4.0, 10.0),
        "start": (0.5, 6.0),
        "end": (1.0, 3.0),
        "exit": (1.0, 5.0),
        "feedback": (0.5, 3.0),
    }

    def __init__(
        self,
        services: Services,
        translate: Callable[..., str],
        hasher: DailyKeyedHasher,
        trust_proxy: bool,
        *,
        rate_limits: bool = True,
        refusal_observer: Callable[[str], None] = lambda code: None,
    ) -> None:
        super().__init__(VISITOR_NS, translate, rate_limits=rate_limits, refusal_observer=refusal_observer)
        self.services = services
        self.hasher = hasher
        self.trust_proxy = trust_proxy
        self.addresses = services.addresses
        # Per address key: new connections and new conversations. A school class shares
        # one address: 30 pupils starting at once must get through (issue 17), each with
        # a connection and a reconnect, then one more chat every ten seconds. What keeps
        # a script from filling the queue beyond that is the cap on waiting chats and the
        # supervisors' burst alert (services/queue_guard.py).
        self.connect_limit = TokenBuckets(rate=1.0, burst=60)
        self.start_limit = TokenBuckets(rate=0.1, burst=30)
        # Follow-up codes per connection: 5 tries, then one every two minutes.
        self.code_attempts = TokenBuckets(rate=1 / 120, burst=5)
        self._sessions: dict[str, VisitorSession] = {}
        self._resumed: dict[str, Conversation | None] = {}  # until after_connect
        self._gated: dict[str, str] = {}  # resumed sockets: sid -> Engine.IO sid of its gate

    async def locale_of(self, sid: str) -> str:
        """The socket's session locale, for refusals."""
        sess = self._sessions.get(sid)
        return sess.locale if sess else i18n.DEFAULT_LOCALE

    def session_of(self, sid: str) -> VisitorSession:
        """The socket's session; ``not_found`` if it raced a disconnect."""
        sess = self._sessions.get(sid)
        if sess is None:  # an event raced a disconnect
            raise ServiceError("not_found", MSG_FORBIDDEN)
        return sess

    def _keep(self, sid: str, sess: VisitorSession) -> None:
        """Remember a service's new session, unless the socket is gone meanwhile."""
        if sid in self._sessions:
            self._sessions[sid] = sess

    def connection_count(self) -> int:
        """Visitor sockets on this process (metrics)."""
        return len(self._sessions)

    # --- connection -------------------------------------------------------------------
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            auth = v.validate(auth, v.VISITOR_AUTH)
        except ServiceError as exc:
            raise self.refuse_connect(connect_locale(environ), "invalid") from exc
        key = address_key(environ, self.trust_proxy, self.hasher)
        if self.rate_limits_enabled and not self.connect_limit.take(key):
            raise self.refuse_connect(connect_locale(environ, auth), "rate_limited")
        # Before anything is stored: the embed names a centre of this installation, and
        # its page may show that centre's chat (services/embedding.py).
        try:
            centre = await self.services.embedding.check_connect(
                auth.get("centre"), auth.get("host"), self.own_origin(environ)
            )
        except ServiceError as exc:
            raise self.refuse_connect(connect_locale(environ, auth), exc.code) from None
        requested = auth.get("locale") if i18n.is_supported(auth.get("locale")) else None
        negotiated = requested or i18n.negotiate(i18n.parse_accept_language(environ.get("HTTP_ACCEPT_LANGUAGE")))
        sess, conv = await self.services.sessions.open(auth.get("resume"), negotiated, requested, centre.id)
        self._sessions[sid] = sess
        self.addresses.remember(sid, key)
        self._resumed[sid] = conv

    async def after_connect(self, sid: str) -> None:
        """After the CONNECT packet: join a resumed conversation, then ``session`` (and
        after a resume ``history``, ``state`` and the place in the queue); nothing
        reaches a visitor before its CONNECT."""
        sess, conv = self._sessions.get(sid), self._resumed.pop(sid, None)
        if sess is None:  # gone already
            return
        if conv is None:
            await self.emit("session", await self.services.sessions.payload(sess, None), to=sid)
            return
        # The room is joined before the history is read, so nothing is missed; the gate
        # holds what comes live meanwhile and drops what the history has (exactly once).
        manager: DirectEmitManager = self.server.manager
        eio_sid = manager.eio_sid_from_sid(sid, VISITOR_NS)
        if eio_sid is None:  # gone already
            return
        manager.hold(eio_sid)
        self._gated[sid] = eio_sid
        first: list[tuple[str, Any]] = []
        known: set[str] = set()
        try:
            await self.enter_room(sid, visitor_room(conv.id))
            conv = await self.services.sessions.do_connected(conv, sid, self.addresses.key_of(sid))
            if not await self._still_here(sid, sess):
                return
            first.append(("session", await self.services.sessions.payload(sess, conv)))
            resumed = await self.services.sessions.resume_events(conv)
            first += resumed
            known = {m["id"] for event, payload in resumed if event == "history" for m in payload["messages"]}
        finally:
            # Also after a failure: whatever was held goes out rather than nothing ever.
            await manager.release(eio_sid, VISITOR_NS, first, known)

    @staticmethod
    def own_origin(environ: dict[str, Any]) -> str:
        """The chat server's own origin, as the handshake's request saw it."""
        request = environ.get("aiohttp.request")
        return own_origin(request) if request is not None else ""

    async def _still_here(self, sid: str, sess: VisitorSession) -> bool:
        """After a start or a resume recorded ``sid`` as the visitor's socket: if the
        socket was disconnected meanwhile, its disconnect found nothing to mark, so
        run it now (else the conversation would show a visitor who is gone)."""
        if sid in self._sessions:
            return True
        await self.services.sessions.do_disconnected(sess, sid)
        return False

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        sess = self._sessions.pop(sid, None)
        self._resumed.pop(sid, None)
        eio_sid = self._gated.pop(sid, None)
        if eio_sid is not None:
            manager: DirectEmitManager = self.server.manager
            manager.drop_gate(eio_sid)
        self.addresses.forget(sid)
        self.forget(sid)
        if sess is not None:
            await self.services.sessions.do_disconnected(sess, sid)

    # --- the conversation -------------------------------------------------------------
    async def on_start(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.START)
        sess = self.session_of(sid)
        key = self.addresses.key_of(sid)
        await self.services.starts.check_may_start(key)
        if self.rate_limits_enabled and not sess.conversation_id and not self.start_limit.take(key):
            raise ServiceError("rate_limited", MSG_RATE_LIMITED)

        async def attach(conversation_id: str) -> None:
            await self.enter_room(sid, visitor_room(conversation_id))

        request = StartRequest(
            audience=params["audience"],
            locale=params.get("locale"),
            topic=params.get("topic"),
            urgent=bool(params.get("urgent")),
            age_band=params.get("age_band"),
            # Absent: the centre the widget named at connect.
            centre=params.get("centre") or sess.centre,
        )
        # Started in another centre by the visitor's choice (services/overflow.py).
        request = await self.services.overflow.check_start(request, params.get("overflow_to"))
        # Within the caps on waiting chats (services/queue_guard.py).
        sess, brief, announce = await self.services.queue_guard.do_start(sess, request, attach, sid, key)
        self._keep(sid, sess)
        if not await self._still_here(sid, sess):
            return ok(conversation=brief)
        server: socketio.AsyncServer = self.server
        server.start_background_task(announce)
        return ok(conversation=brief)

    # --- overflow to another centre (services/overflow.py) -------------------------------
    async def on_overflow_options(self, sid: str, data: Any) -> dict[str, Any]:
        """Before a start: whether the widget's centre overflows now, and the centres the
        visitor may choose instead, named in their language."""
        params = v.validate(data, v.OVERFLOW_OPTIONS)
        sess = self.session_of(sid)
        offer = await self.services.overflow.options(
            params.get("centre") or sess.centre,  # absent: the centre named at connect
            params.get("audience") or "self",
            params.get("locale") or sess.locale,
        )
        return ok(**offer)

    async def on_overflow_accept(self, sid: str, data: Any) -> dict[str, Any]:
        """The visitor chose to wait in another centre's queue: their conversation moves
        there (idempotent)."""
        params = v.validate(data, v.OVERFLOW_ACCEPT)
        brief = await self.services.overflow.do_accept(self.session_of(sid), params["centre"])
        return ok(conversation=brief)

    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.VISITOR_MESSAGE)
        ack = await self.services.messages.do_visitor_message(self.session_of(sid), params["client_id"], params["text"])
        return ok(**ack)

    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.TYPING)
        await self.services.messages.do_visitor_typing(self.session_of(sid), params["active"])
        return ok()

    async def on_end(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        sess = self.session_of(sid)
        self._keep(sid, await self.services.lifecycle.do_visitor_end(sess))
        if sess.conversation_id:
            await self.leave_room(sid, visitor_room(sess.conversation_id))
        return ok()

    async def on_exit(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        sess = self.session_of(sid)
        self._keep(sid, await self.services.lifecycle.do_visitor_exit(sess))
        if sess.conversation_id:
            await self.leave_room(sid, visitor_room(sess.conversation_id))
        return ok()

    async def on_feedback(self, sid: str, data: Any) -> dict[str, Any]:
        """The answer to "Did you get the help you needed?" with the single-use token
        of the ``ended`` event (services/feedback.py); needs no session or conversation."""
        params = v.validate(data, v.FEEDBACK)
        await self.services.feedback.do_answer(params["token"], params["answer"])
        return ok()

    # --- follow-up codes --------------------------------------------------------------
    async def on_followup_request(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        await self.services.followups.do_request(self.session_of(sid))
        return ok()

    async def on_followup(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.FOLLOWUP_CODE)
        await self.services.followups.do_redeem(
            self.session_of(sid),
            params["code"],
            self.addresses.key_of(sid),
            lambda: self.code_attempts.take(sid),
            self.rate_limits_enabled,
        )
        return ok()

    async def on_followup_revoke(self, sid: str, data: Any) -> dict[str, Any]:
        """Cancel a code (the same answer whether or not it existed)."""
        params = v.validate(data, v.FOLLOWUP_CODE)
        self.session_of(sid)
        await self.services.followups.do_revoke(
            params["code"], self.addresses.key_of(sid), lambda: self.code_attempts.take(sid), self.rate_limits_enabled
        )
        return ok()
