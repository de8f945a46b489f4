"""Visitor sessions: opening or resuming one, the ``session`` payload, and the visitor's
connection coming and going.

A session is found by its resume token's lookup hash (the token itself is never
stored). A visitor who reconnects with the token within the grace period gets their
live conversation back, with its history.

The conversation records the visitor's newest socket and the process it is connected
to (``visitor_sid``, ``visitor_node``); only that socket's disconnect marks the visitor
away. The transport re-checks, after a start or a resume, that the socket is still
there (a disconnect handled in between found nothing to mark), and the sweep
(services/sweeper.py) marks away whatever a lost disconnect or a dead process left
"connected".
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypedDict

from .centre_domain import DEFAULT_CENTRE
from .domain import Conversation, VisitorSession, now_ms
from .events import Payload, Translator
from .hours import Hours, HoursPayload
from .messages import Messages
from .payloads import Brief, state_payload, summary
from .queue import Queue
from .recipients import Notify
from .repository import Repository
from .router import Router

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

    def here(self, sid: str | None) -> bool:
        """Whether visitor socket ``sid`` is connected to this process (remembered at
        its connect, before anything else, and forgotten first at its disconnect)."""
        return (sid or "") in self._keys


class VisitorSessions:
    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        queue: Queue,
        messages: Messages,
        hours: Hours,
        translate: Translator,
        router: Router,
    ) -> None:
        self._repo = repo
        self._router = router
        self._notify = notify
        self._queue = queue
        self._messages = messages
        self._hours = hours
        self._t = translate

    async def open(
        self, resume: str | None, negotiated: str, requested: str | None, centre: str = DEFAULT_CENTRE
    ) -> tuple[VisitorSession, Conversation | None]:
        """Resume the session of token ``resume``, or make a fresh one.

        ``requested``: the locale the widget asked for (wins), ``negotiated``: from
        Accept-Language (for a fresh session only). ``centre``: the resource centre the
        widget named (checked by the transport, services/embedding.py); a resumed
        conversation keeps its own. Returns (session, its live conversation or None).
        An unknown or expired token gets a fresh session."""
        if resume:
            sess = await self._repo.find_session(resume)
            if sess is not None:
                conv = await self._repo.get_live(sess.conversation_id)
                return replace(
                    sess,
                    locale=requested or sess.locale,
                    conversation_id=conv.id if conv else None,
                    # The widget's centre: after an overflow, the conversation's home.
                    centre=(conv.home_centre or conv.centre) if conv else centre,
                ), conv
        token = secrets.token_urlsafe(32)
        sess = VisitorSession(
            self._repo.session_key(token), token, new_pseudonym(), requested or negotiated, centre=centre
        )
        await self._repo.create_session(sess, self._repo.idle_session_ttl_s)
        return sess, None

    async def payload(self, sess: VisitorSession, conv: Conversation | None) -> SessionPayload:
        """The ``session`` event: token, pseudonym, locale, the opening hours of the
        session's centre (a resumed conversation's: its own), and the conversation a
        resume re-attached (or None)."""
        centre = conv.centre if conv else sess.centre
        hours = await self._hours.payload(datetime.now(UTC), sess.locale, self._t, centre=centre)
        return {
            "token": sess.token,
            "pseudonym": sess.pseudonym,
            "locale": sess.locale,
            "open": bool(hours["accepting"]),
            "hours": hours,
            "conversation": await self._queue.brief(conv) if conv else None,
        }

    async def do_connected(self, conv: Conversation, sid: str, address_key: str = "") -> Conversation:
        """The visitor is back on socket ``sid`` of this process (a resume), from an
        address with rate-limit key ``address_key``: staff see them present, and a
        waiting chat can be offered again."""
        node = self._repo.node_id

        def back(current: Conversation) -> Conversation | None:
            if not current.live:
                return None
            return replace(
                current,
                visitor_connected=True,
                visitor_away_since=None,
                visitor_sid=sid,
                visitor_node=node,
                address_key=address_key or current.address_key,
            )

        changed = await self._repo.change(conv.id, back)
        if changed is None:
            return conv
        await self._notify.send(changed.after, "staff", "conversation", {"conversation": summary(changed.after)})
        if changed.after.state == "waiting" and not changed.before.visitor_connected:
            # Back in their centre's queue: everyone behind them there moves down a
            # place; routing runs. (Only that centre: a queue event's cost must not grow
            # with the number of centres.)
            await self._queue.announce(changed.after.centre)
        return changed.after

    async def resume_events(self, conv: Conversation) -> list[tuple[str, Payload]]:
        """What a resumed socket gets after ``session``, in order: ``history`` (every
        message the visitor may see, read now), ``state`` and, if waiting, ``queue``.
        The transport sends them to that socket alone, and drops the live copies of
        what the history had (transport/resume_gate.py): each message once."""
        out: list[tuple[str, Payload]] = [
            ("history", {"messages": await self._messages.history_for_visitor(conv)}),
            ("state", state_payload(conv)),
        ]
        if conv.state == "waiting":
            position = await self._queue.position_payload(conv)
            if position is not None:
                out.append(("queue", position))
        return out

    async def resume_announce(self, conv: Conversation) -> None:
        """:meth:`resume_events` sent to the conversation's visitor (a caller without
        a socket of its own: tests/services)."""
        for event, payload in await self.resume_events(conv):
            await self._notify.send(conv, "visitor", event, payload)

    async def do_disconnected(self, sess: VisitorSession, sid: str) -> None:
        """The socket ``sid`` closed: the visitor is away (the sweep ends the chat after
        the grace period). Only the newest socket counts: after a resume, the old
        socket's late disconnect must not mark the visitor away."""
        if sess.conversation_id:
            await self.mark_away(sess.conversation_id, sid)

    async def mark_away(self, conversation_id: str, sid: str) -> bool:
        """Socket ``sid`` of the visitor is gone: if it is still their newest and they
        are shown connected, they are away from now. The staff participants get the
        summary and ``typing`` ``{active: false}`` (whatever the visitor was typing is
        not coming). Returns whether this call marked them away."""

        def away(conv: Conversation) -> Conversation | None:
            if not conv.live or conv.visitor_sid != sid or not conv.visitor_connected:
                return None
            return replace(conv, visitor_connected=False, visitor_away_since=now_ms())

        changed = await self._repo.change(conversation_id, away)
        if changed is None:
            return False
        conv = changed.after
        await self._notify.send(conv, "staff", "typing", {"conversation_id": conv.id, "active": False})
        await self._notify.send(conv, "staff", "conversation", {"conversation": summary(conv)})
        await self._queue.announce(conv.centre)
        return True

    async def mark_back(self, conversation_id: str, sid: str) -> bool:
        """Socket ``sid`` of this process is the visitor's newest and still connected,
        but the conversation says away (another process judged this one dead while its
        heartbeat was late): present again. Returns whether this call changed it."""
        node = self._repo.node_id

        def back(conv: Conversation) -> Conversation | None:
            if not conv.live or conv.visitor_connected or conv.visitor_sid != sid or conv.visitor_node != node:
                return None
            return replace(conv, visitor_connected=True, visitor_away_since=None)

        changed = await self._repo.change(conversation_id, back)
        if changed is None:
            return False
        await self._notify.send(changed.after, "staff", "conversation", {"conversation": summary(changed.after)})
        await self._router.kick()
        return True
