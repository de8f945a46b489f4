"""Visitor sessions: opening or resuming one, the ``session`` payload, and the visitor's
connection coming and going.

A session is found by its resume token's lookup hash (the token itself is never
stored). A visitor who reconnects with the token within the grace period gets their
live conversation back, with its history.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypedDict

from .domain import Conversation, VisitorSession, now_ms
from .events import Translator
from .hours import Hours, HoursPayload
from .messages import Messages
from .payloads import Brief, state_payload, summary
from .queue import Queue
from .recipients import Notify
from .repository import Repository

_PSEUDONYM_ALPHABET = "ACDEFHJKLMNPRTUVWXY3479"  # no look-alikes (0/O, 1/I, 5/S…)


def new_pseudonym() -> str:
    """Four symbols: the only name operators see for a visitor."""
    return "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(4))


class SessionPayload(TypedDict):
    token: str
    pseudonym: str
    locale: str
    open: bool
    hours: HoursPayload
    conversation: Brief | None


class AddressBook:
    """The rate-limit key (HMAC of the address under the daily in-memory key, never the
    address) of each visitor socket connected to this process. Memory only; the visitor
    namespace keeps it current, ``block`` reads it."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    def remember(self, sid: str, address_key: str) -> None:
        """A visitor socket connected from this (hashed) address."""
        self._keys[sid] = address_key

    def forget(self, sid: str) -> None:
        """The socket disconnected."""
        self._keys.pop(sid, None)

    def key_of(self, sid: str | None) -> str:
        """The key of a socket on this process, or "" when unknown here."""
        return self._keys.get(sid or "", "")


class VisitorSessions:
    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        queue: Queue,
        messages: Messages,
        hours: Hours,
        translate: Translator,
    ) -> None:
        self._repo = repo
        self._notify = notify
        self._queue = queue
        self._messages = messages
        self._hours = hours
        self._t = translate

    async def open(
        self, resume: str | None, negotiated: str, requested: str | None
    ) -> tuple[VisitorSession, Conversation | None]:
        """Resume the session of token ``resume``, or make a fresh one.

        ``requested``: the locale the widget asked for (wins), ``negotiated``: from
        Accept-Language (for a fresh session only). Returns (session, its live
        conversation or None). An unknown or expired token gets a fresh session."""
        if resume:
            sess = await self._repo.find_session(resume)
            if sess is not None:
                conv = await self._repo.get_live(sess.conversation_id)
                return replace(sess, locale=requested or sess.locale, conversation_id=conv.id if conv else None), conv
        token = secrets.token_urlsafe(32)
        sess = VisitorSession(self._repo.session_key(token), token, new_pseudonym(), requested or negotiated)
        await self._repo.create_session(sess, self._repo.idle_session_ttl_s)
        return sess, None

    async def payload(self, sess: VisitorSession, conv: Conversation | None) -> SessionPayload:
        """The ``session`` event: token, pseudonym, locale, opening hours, and the
        conversation a resume re-attached (or None)."""
        hours = await self._hours.payload(datetime.now(UTC), sess.locale, self._t)
        return {
            "token": sess.token,
            "pseudonym": sess.pseudonym,
            "locale": sess.locale,
            "open": bool(hours["accepting"]),
            "hours": hours,
            "conversation": await self._queue.brief(conv) if conv else None,
        }

    async def do_connected(self, conv: Conversation, sid: str) -> Conversation:
        """The visitor is back on socket ``sid`` (a resume): staff see them present."""

        def back(current: Conversation) -> Conversation | None:
            if not current.live:
                return None
            return replace(current, visitor_connected=True, visitor_away_since=None, visitor_sid=sid)

        changed = await self._repo.change(conv.id, back)
        if changed is None:
            return conv
        await self._notify.send(changed.after, "staff", "conversation", {"conversation": summary(changed.after)})
        return changed.after

    async def resume_announce(self, conv: Conversation) -> None:
        """After a resume: the history once, then the state and, if waiting, the place."""
        history = await self._messages.history_for_visitor(conv)
        await self._notify.send(conv, "visitor", "history", {"messages": history})
        await self._notify.send(conv, "visitor", "state", state_payload(conv))
        if conv.state == "waiting":
            await self._queue.send_position(conv)

    async def do_disconnected(self, sess: VisitorSession, sid: str) -> None:
        """The socket ``sid`` closed: the visitor is away (the sweep ends the chat after
        the grace period). Only the newest socket counts: after a resume, the old
        socket's late disconnect must not mark the visitor away."""
        if not sess.conversation_id:
            return

        def away(conv: Conversation) -> Conversation | None:
            if not conv.live or conv.visitor_sid != sid:
                return None
            return replace(conv, visitor_connected=False, visitor_away_since=now_ms())

        changed = await self._repo.change(sess.conversation_id, away)
        if changed is not None:
            await self._notify.send(changed.after, "staff", "conversation", {"conversation": summary(changed.after)})
            await self._queue.announce()
