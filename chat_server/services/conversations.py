"""Conversations: visitor sessions, the lifecycle waiting -> active -> ended, messages.

Everything here lives in the ephemeral store and is destroyed when the conversation
ends: the wrapped key first (crypto-shredding), then the encrypted messages, then the
record. Message text is encrypted before it reaches the store and decrypted only to be
sent to the two sides.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from ..security.crypto import CipherCache, ConversationCipher, KeyRing
from ..storage.base import Ephemeral, StoreUnavailable
from .errors import (
    MSG_CLOSED,
    MSG_CONFLICT,
    MSG_FORBIDDEN,
    MSG_NO_CONVERSATION,
    MSG_NOT_FOUND,
    N_,
    ServiceError,
)
from .events import Events, Translator
from .hours import Hours
from .queue import QUEUE_INDEX, queue_score, wait_estimate
from .stats import Stats, conversation_counters

log = logging.getLogger(__name__)

LIVE_INDEX = "live"
DUTY_INDEX = "duty"
_PSEUDONYM_ALPHABET = "ACDEFHJKLMNPRTUVWXY3479"  # no look-alikes (0/O, 1/I, 5/S…)

SYSTEM_TEXTS = {
    "operator_joined": N_("{name} has joined the chat."),
    "operator_left": N_("{name} had to leave. You are back in the queue."),
    "transferred": N_("You are being transferred to a colleague."),
    # Staff-only note when a returning visitor enters a follow-up code.
    "followup_summary": N_("Summary from an earlier conversation ({date}): {summary}"),
}


def now_ms() -> int:
    return int(time.time() * 1000)


def new_pseudonym() -> str:
    return "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(4))


@dataclass
class VisitorSession:
    """What a visitor connection knows about itself (kept in the socket's memory)."""

    key: str  # lookup hash of the resume token; the token itself is never stored
    token: str
    pseudonym: str
    locale: str
    conversation_id: str | None = None


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    role: str
    locale: str


Announce = Callable[[], Awaitable[None]]


class Observer:
    """Aggregate hooks for metrics (the transport installs one; services stay free of
    any metrics library). Each call is synchronous and cheap, and carries no content and
    nothing that identifies a conversation."""

    def conversation_started(self) -> None:
        return None

    def conversation_accepted(self, waited_s: float) -> None:
        return None

    def conversation_ended(self, reason: str) -> None:
        return None

    def message_relayed(self, sender: str) -> None:
        return None


class Conversations:
    def __init__(
        self,
        eph: Ephemeral,
        keyring: KeyRing,
        events: Events,
        translate: Translator,
        settings: Settings,
        hours: Hours,
        stats: Stats,
        staff_locale: Callable[[str], Awaitable[str]],
    ) -> None:
        self.eph = eph
        self.keyring = keyring
        self.events = events
        self.t = translate
        self.settings = settings
        self.hours = hours
        self.stats = stats
        self._staff_locale = staff_locale
        self._ttl = settings.max_conversation_s + settings.grace_period_s
        self.observer = Observer()
        self._ciphers = CipherCache(keyring)
        self._last_start_ms = 0  # see start()
        # services.routing.Router, installed by create_app: offers, skills, drops.
        self.router: Any = None

    # visitor sessions -----------------------------------------------------------------
    async def open_session(self, resume: str | None, locale: str) -> tuple[VisitorSession, dict[str, Any] | None]:
        """Resume a session by token, or create a fresh one. Returns (session, live
        conversation or None)."""
        if resume:
            key = self.keyring.lookup_hash(resume)
            rec = await self.eph.get("vsess", key)
            if rec is not None:
                sess = VisitorSession(key, resume, rec["pseudonym"], rec["locale"], rec.get("conversation_id"))
                conv = await self.get_live(sess.conversation_id) if sess.conversation_id else None
                if conv is None:
                    sess.conversation_id = None
                return sess, conv
        token = secrets.token_urlsafe(32)
        sess = VisitorSession(self.keyring.lookup_hash(token), token, new_pseudonym(), locale)
        await self._save_session(sess, self.settings.grace_period_s or 60)
        return sess, None

    async def _save_session(self, sess: VisitorSession, ttl: int) -> None:
        await self.eph.put(
            "vsess",
            sess.key,
            {"pseudonym": sess.pseudonym, "locale": sess.locale, "conversation_id": sess.conversation_id},
            max(60, ttl),
        )

    async def get_live(self, conversation_id: str | None) -> dict[str, Any] | None:
        if not conversation_id:
            return None
        conv = await self.eph.get("conv", conversation_id)
        if conv is None or conv["state"] == "ended":
            return None
        return conv

    async def session_payload(self, sess: VisitorSession, conv: dict[str, Any] | None) -> dict[str, Any]:
        hours = await self.hours.payload(datetime.now(UTC), sess.locale, self.t)
        return {
            "token": sess.token,
            "pseudonym": sess.pseudonym,
            "locale": sess.locale,
            "open": bool(hours["accepting"]),
            "hours": hours,
            "conversation": await self.brief(conv) if conv else None,
        }

    async def brief(self, conv: dict[str, Any]) -> dict[str, Any]:
        position = await self.position(conv["id"]) if conv["state"] == "waiting" else None
        return {"id": conv["id"], "state": conv["state"], "position": position}

    # resume and disconnect ------------------------------------------------------------
    async def visitor_connected(self, conv: dict[str, Any], sid: str) -> dict[str, Any]:
        updated = await self.eph.update(
            "conv", conv["id"], {"visitor_connected": True, "visitor_away_since": None, "visitor_sid": sid}
        )
        conv = updated or conv
        await self._notify_staff_summary(conv)
        return conv

    async def resume_announce(self, sess: VisitorSession, conv: dict[str, Any]) -> None:
        """After a resume: the history once, then the state and, if waiting, the place."""
        history = await self.history_for_visitor(conv)
        await self.events.to_visitor(conv["id"], "history", {"messages": history})
        await self.events.to_visitor(conv["id"], "state", self._state_payload(conv))
        if conv["state"] == "waiting":
            await self._send_position(conv)

    async def visitor_disconnected(self, sess: VisitorSession, sid: str) -> None:
        conv = await self.get_live(sess.conversation_id)
        if conv is None:
            return
        # Only the newest connection counts: after a resume the old socket's late
        # disconnect must not mark the visitor away.
        updated = await self.eph.update(
            "conv",
            conv["id"],
            {"visitor_connected": False, "visitor_away_since": now_ms()},
            expect={"visitor_sid": sid},
        )
        if updated:
            await self._notify_staff_summary(updated)
            await self._broadcast_queue()

    # starting -------------------------------------------------------------------------
    async def start(
        self,
        sess: VisitorSession,
        params: dict[str, Any],
        attach: Callable[[str], Awaitable[None]],
        sid: str,
    ) -> tuple[dict[str, Any], Announce]:
        existing = await self.get_live(sess.conversation_id)
        if existing is not None:
            await attach(existing["id"])
            return await self.brief(existing), self._noop

        hours = await self.hours.payload(datetime.now(UTC))
        if not hours["accepting"]:
            raise ServiceError("closed", MSG_CLOSED)

        conv_id = secrets.token_urlsafe(12)
        # Strictly increasing on this node: the queue orders by this time, and two chats
        # started in the same millisecond would otherwise be ordered by their random ids.
        ts = self._last_start_ms = max(now_ms(), self._last_start_ms + 1)
        locale = params.get("locale") or sess.locale
        conv = {
            "id": conv_id,
            "state": "waiting",
            "created_at": ts,
            "waiting_since": ts,
            "accepted_at": None,
            "locale": locale,
            "audience": params["audience"],
            "topic": params.get("topic"),
            "urgent": bool(params.get("urgent")),
            "age_band": params.get("age_band"),
            "pseudonym": sess.pseudonym,
            "session_key": sess.key,
            "operator_id": None,
            "operator_name": None,
            "visitor_connected": True,
            "visitor_away_since": None,
            "visitor_sid": sid,
        }
        key = self.keyring.new_conversation_key()
        await self.eph.put("ckey", conv_id, {"k": self.keyring.wrap(key, conv_id)}, self._ttl)
        await self.eph.put("conv", conv_id, conv, self._ttl)
        await self.eph.index_add(LIVE_INDEX, conv_id, ts, self._ttl)
        await self.eph.index_add(QUEUE_INDEX, conv_id, queue_score(conv), self._ttl)
        sess.locale = locale
        sess.conversation_id = conv_id
        await self._save_session(sess, self._ttl)
        await attach(conv_id)
        self.observer.conversation_started()
        log.info("conversation started")

        async def announce() -> None:
            try:
                await self.events.to_visitor(conv_id, "state", {"state": "waiting", "operator": None})
                await self._broadcast_queue()
            except StoreUnavailable:
                # Runs in the background after the ack: nobody else would see the error.
                # Operators get the next queue snapshot when the store is back.
                log.warning("queue announcement skipped: the ephemeral store is unavailable")

        return await self.brief(conv), announce

    @staticmethod
    async def _noop() -> None:
        return None

    # queue ----------------------------------------------------------------------------
    async def queue_ids(self) -> list[str]:
        return [m for m, _ in await self.eph.index_members(QUEUE_INDEX)]

    async def position(self, conversation_id: str) -> int | None:
        ids = await self.queue_ids()
        return ids.index(conversation_id) + 1 if conversation_id in ids else None

    async def on_duty_count(self) -> int:
        return len(await self.eph.index_members(DUTY_INDEX))

    async def queue_snapshot(self) -> dict[str, Any]:
        items = []
        for cid in await self.queue_ids():
            conv = await self.eph.get("conv", cid)
            if conv and conv["state"] == "waiting":
                items.append(self.summary(conv))
        return {"items": items}

    async def _send_position(
        self, conv: dict[str, Any], ids: list[str] | None = None, on_duty: int | None = None
    ) -> None:
        ids = await self.queue_ids() if ids is None else ids
        if conv["id"] not in ids:
            return
        position = ids.index(conv["id"]) + 1
        on_duty = await self.on_duty_count() if on_duty is None else on_duty
        await self.events.to_visitor(
            conv["id"],
            "queue",
            {
                "position": position,
                "wait_estimate_s": wait_estimate(position, on_duty, self.settings.avg_handle_time_s),
            },
        )

    async def _broadcast_queue(self) -> None:
        """Tell every waiting visitor their place and every queue watcher the queue."""
        ids = await self.queue_ids()
        on_duty = await self.on_duty_count()
        for cid in ids:
            await self._send_position({"id": cid}, ids, on_duty)
        await self.events.to_queue_watchers("queue", await self.queue_snapshot())
        if self.router is not None:
            await self.router.kick()

    # operators ------------------------------------------------------------------------
    async def set_duty(self, staff: Staff, on: bool, languages: list[str]) -> dict[str, Any]:
        if on:
            await self.eph.put("duty", staff.id, {"on": True, "languages": languages, "name": staff.name}, self._ttl)
            await self.eph.index_add(DUTY_INDEX, staff.id, now_ms(), self._ttl)
        else:
            await self.eph.delete("duty", staff.id)
            await self.eph.index_remove(DUTY_INDEX, staff.id)
        await self._broadcast_queue()
        return {"on": on, "languages": languages}

    async def duty_of(self, staff_id: str) -> dict[str, Any] | None:
        return await self.eph.get("duty", staff_id)

    async def accept(self, staff: Staff, conversation_id: str) -> dict[str, Any]:
        updated = None
        # A router on any node may (re)offer the chat between our read and our write;
        # the compare-and-set then fails although the chat is still waiting, so read
        # again and decide afresh (a few times) before calling it a conflict.
        for _attempt in range(3):
            conv = await self.eph.get("conv", conversation_id)
            if conv is None or conv["state"] == "ended":
                raise ServiceError("not_found", MSG_NOT_FOUND)
            if conv["state"] != "waiting":
                break
            ts = now_ms()
            routed = await self.router.accept_changes(staff, conv) if self.router is not None else {}
            updated = await self.eph.update(
                "conv",
                conversation_id,
                {
                    "state": "active",
                    "operator_id": staff.id,
                    "operator_name": staff.name,
                    "accepted_at": conv.get("accepted_at") or ts,
                    **routed,
                },
                expect={"state": "waiting", "offer": conv.get("offer")},
            )
            if updated is not None:
                break
        if updated is None:
            raise ServiceError("conflict", MSG_CONFLICT)
        await self.eph.index_remove(QUEUE_INDEX, conversation_id)
        self.observer.conversation_accepted(max(0.0, (ts - updated["waiting_since"]) / 1000))
        log.info("conversation accepted")
        await self.events.to_visitor(conversation_id, "state", self._state_payload(updated))
        await self.add_system(updated, "operator_joined", name=staff.name)
        await self.events.to_staff(
            staff.id,
            "assigned",
            {"conversation": self.summary(updated), "messages": await self.history_for_staff(updated, staff.locale)},
        )
        await self._broadcast_queue()
        return self.summary(updated)

    async def chats_of(self, staff: Staff) -> list[dict[str, Any]]:
        chats = []
        for cid, _ in await self.eph.index_members(LIVE_INDEX):
            conv = await self.eph.get("conv", cid)
            if conv and conv["state"] == "active" and conv.get("operator_id") == staff.id:
                chats.append(
                    {"conversation": self.summary(conv), "messages": await self.history_for_staff(conv, staff.locale)}
                )
        return chats

    async def require_assigned(self, staff: Staff, conversation_id: str) -> dict[str, Any]:
        conv = await self.get_live(conversation_id)
        if conv is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        if conv.get("operator_id") != staff.id or conv["state"] != "active":
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return conv

    # messages -------------------------------------------------------------------------
    async def _cipher(self, conversation_id: str) -> ConversationCipher:
        rec = await self.eph.get("ckey", conversation_id)
        if rec is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return self._ciphers.get(conversation_id, rec["k"])

    async def _live_with_cipher(self, conversation_id: str) -> tuple[dict[str, Any] | None, ConversationCipher | None]:
        """A live conversation and its cipher, read together (one store round trip: the
        message path's only read)."""
        conv, rec = await self.eph.get_many([("conv", conversation_id), ("ckey", conversation_id)])
        if conv is None or conv["state"] == "ended" or rec is None:
            return None, None
        return conv, self._ciphers.get(conversation_id, rec["k"])

    async def visitor_message(self, sess: VisitorSession, client_id: str, text: str) -> dict[str, Any]:
        if not sess.conversation_id:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        conv, cipher = await self._live_with_cipher(sess.conversation_id)
        if conv is None or cipher is None:
            raise ServiceError("conflict", MSG_CONFLICT)
        return await self._post(conv, "visitor", None, client_id, text, cipher=cipher)

    async def operator_message(
        self, staff: Staff, conversation_id: str, client_id: str, text: str, internal: bool = False
    ) -> dict[str, Any]:
        """A message from the assigned operator or an invited colleague (interpreter,
        supervisor who joined). ``internal``: a staff-only note, never sent to the visitor."""
        conv, cipher = await self._live_with_cipher(conversation_id)
        if conv is None or cipher is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        if conv["state"] != "active" or staff.id not in (conv.get("operator_id"), *conv.get("invited_ids", [])):
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return await self._post(conv, "operator", staff.id, client_id, text, internal, cipher=cipher)

    async def _post(
        self,
        conv: dict[str, Any],
        sender: str,
        staff_id: str | None,
        client_id: str,
        text: str,
        internal: bool = False,
        cipher: ConversationCipher | None = None,
    ) -> dict[str, Any]:
        if cipher is None:
            cipher = await self._cipher(conv["id"])
        record = {
            "id": "m" + secrets.token_urlsafe(9),
            "client_id": client_id,
            "from": sender,
            "staff_id": staff_id,
            "enc": cipher.encrypt(text),
            "ts": now_ms(),
        }
        if internal:
            record["internal"] = True
        dedupe = f"{sender}:{staff_id or ''}:{client_id}"
        stored, created = await self.eph.append_message(conv["id"], dedupe, record, self._ttl)
        if created:
            self.observer.message_relayed(sender)
            # The text is at hand: rendering need not decrypt what was just encrypted.
            await self._deliver(conv, stored, cipher, text)
        return {"id": stored["id"], "ts": stored["ts"]}

    async def add_system(self, conv: dict[str, Any], code: str, **params: Any) -> None:
        cipher = await self._cipher(conv["id"])
        record = {
            "id": "m" + secrets.token_urlsafe(9),
            "client_id": None,
            "from": "system",
            "staff_id": None,
            "code": code,
            "enc": cipher.encrypt(json.dumps(params)),
            "ts": now_ms(),
        }
        stored, _ = await self.eph.append_message(conv["id"], f"system:{record['id']}", record, self._ttl)
        await self._deliver(conv, stored, cipher)

    @staticmethod
    def staff_participants(conv: dict[str, Any]) -> list[str]:
        """Every staff member who receives a conversation's messages: the assigned
        operator, invited colleagues (interpreter, supervisor) and silent observers."""
        ids = [conv.get("operator_id"), *conv.get("invited_ids", []), *conv.get("observer_ids", [])]
        return list(dict.fromkeys(i for i in ids if i))

    async def _deliver(
        self, conv: dict[str, Any], stored: dict[str, Any], cipher: ConversationCipher, text: str | None = None
    ) -> None:
        if not stored.get("internal"):
            await self.events.to_visitor(
                conv["id"], "message", self._render(stored, conv, True, conv["locale"], cipher, text)
            )
        for staff_id in self.staff_participants(conv):
            locale = await self._staff_locale(staff_id)
            await self.events.to_staff(staff_id, "message", self._render(stored, conv, False, locale, cipher, text))

    def _render(
        self,
        record: dict[str, Any],
        conv: dict[str, Any],
        for_visitor: bool,
        locale: str,
        cipher: ConversationCipher,
        text: str | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": record["id"],
            "client_id": record["client_id"],
            "from": record["from"],
            "ts": record["ts"],
        }
        if record["from"] == "system":
            params = json.loads(cipher.decrypt(record["enc"]))
            out["code"] = record["code"]
            out["text"] = self.t(locale, SYSTEM_TEXTS.get(record["code"], record["code"]), **params)
        else:
            out["text"] = text if text is not None else cipher.decrypt(record["enc"])
        if not for_visitor:
            out["conversation_id"] = conv["id"]
            if record.get("internal"):
                out["internal"] = True
            if record.get("staff_id"):
                out["staff_id"] = record["staff_id"]
        return out

    async def history_for_staff(self, conv: dict[str, Any], locale: str) -> list[dict[str, Any]]:
        cipher = await self._cipher(conv["id"])
        return [self._render(m, conv, False, locale, cipher) for m in await self.eph.messages(conv["id"])]

    async def history_for_visitor(self, conv: dict[str, Any]) -> list[dict[str, Any]]:
        cipher = await self._cipher(conv["id"])
        return [
            self._render(m, conv, True, conv["locale"], cipher)
            for m in await self.eph.messages(conv["id"])
            if not m.get("internal")  # staff-only notes never reach the visitor
        ]

    # typing ---------------------------------------------------------------------------
    async def visitor_typing(self, sess: VisitorSession, active: bool) -> None:
        conv = await self.get_live(sess.conversation_id)
        if conv is None:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        for staff_id in self.staff_participants(conv):
            await self.events.to_staff(staff_id, "typing", {"conversation_id": conv["id"], "active": active})

    async def operator_typing(self, staff: Staff, conversation_id: str, active: bool) -> None:
        await self.require_assigned(staff, conversation_id)
        await self.events.to_visitor(conversation_id, "typing", {"active": active})

    # ending ---------------------------------------------------------------------------
    async def visitor_end(self, sess: VisitorSession) -> None:
        conv = await self.get_live(sess.conversation_id)
        if conv is not None:
            await self.finish(conv, "visitor_ended")
        sess.conversation_id = None
        await self._save_session(sess, self.settings.grace_period_s or 60)

    async def visitor_exit(self, sess: VisitorSession) -> None:
        """Quick exit: end and destroy at once, and forget the session."""
        conv = await self.get_live(sess.conversation_id)
        if conv is not None:
            await self.finish(conv, "visitor_exit")
        sess.conversation_id = None
        await self.eph.delete("vsess", sess.key)

    async def operator_end(self, staff: Staff, conversation_id: str, extra_counters: dict[str, int]) -> None:
        conv = await self.require_assigned(staff, conversation_id)
        await self.finish(conv, "operator_ended", extra_counters)

    async def finish(self, conv: dict[str, Any], reason: str, extra_counters: dict[str, int] | None = None) -> bool:
        """End a conversation once (the first caller wins) and destroy its content."""
        ended = await self.eph.update("conv", conv["id"], {"state": "ended"}, expect={"state": conv["state"]})
        if ended is None:
            current = await self.eph.get("conv", conv["id"])
            if current is None or current["state"] == "ended":
                return False
            return await self.finish(current, reason, extra_counters)
        was_waiting = conv["state"] == "waiting"
        # Counted by the one caller whose compare-and-set won, so a sweep running on every
        # node still counts each conversation once.
        self.observer.conversation_ended(reason)
        # Key first: from here on, whatever is left of the messages is unreadable.
        self._ciphers.forget(conv["id"])
        await self.eph.delete("ckey", conv["id"])
        await self.eph.delete_messages(conv["id"])
        await self.eph.index_remove(QUEUE_INDEX, conv["id"])
        await self.eph.index_remove(LIVE_INDEX, conv["id"])
        ts = now_ms()
        counters = conversation_counters(ended, reason, ts)
        counters.update(extra_counters or {})
        try:
            await self.stats.record(ts, counters)
        except Exception:  # noqa: BLE001 - statistics must never keep a chat alive
            log.exception("could not record statistics")
        await self.events.to_visitor(conv["id"], "state", {"state": "ended", "operator": None})
        await self.events.to_visitor(conv["id"], "ended", {"reason": reason})
        for staff_id in self.staff_participants(ended):
            await self.events.to_staff(staff_id, "ended", {"conversation_id": conv["id"], "reason": reason})
        # The record goes last: until now it told other nodes the chat was ending.
        await self.eph.delete("conv", conv["id"])
        sess = await self.eph.get("vsess", ended["session_key"])
        if sess is not None and sess.get("conversation_id") == conv["id"]:
            await self.eph.update("vsess", ended["session_key"], {"conversation_id": None})
        log.info("conversation ended reason=%s", reason)
        if was_waiting:
            await self._broadcast_queue()
        elif self.router is not None:
            await self.router.kick()  # the operator has room for another chat
        return True

    # housekeeping ---------------------------------------------------------------------
    async def sweep(self) -> int:
        """Abandon conversations whose visitor has been away longer than the grace
        period, and any that outlived the maximum length. Safe to run on every node."""
        self._ciphers.drop_idle()
        ts = now_ms()
        done = 0
        grace_ms = self.settings.grace_period_s * 1000
        for cid, _ in await self.eph.index_members(LIVE_INDEX):
            conv = await self.eph.get("conv", cid)
            if conv is None:
                await self.eph.index_remove(LIVE_INDEX, cid)
                await self.eph.index_remove(QUEUE_INDEX, cid)
                continue
            away = conv.get("visitor_away_since")
            too_old = ts - conv["created_at"] > self.settings.max_conversation_s * 1000
            if (away is not None and ts - away >= grace_ms) or too_old:
                if await self.finish(conv, "abandoned"):
                    done += 1
        for cid, _ in await self.eph.index_members(QUEUE_INDEX):
            if await self.eph.get("conv", cid) is None:
                await self.eph.index_remove(QUEUE_INDEX, cid)
        if self.router is not None:
            await self.router.sweep()
        return done

    # payloads -------------------------------------------------------------------------
    @staticmethod
    def _state_payload(conv: dict[str, Any]) -> dict[str, Any]:
        operator = {"name": conv["operator_name"]} if conv.get("operator_name") and conv["state"] == "active" else None
        return {"state": conv["state"], "operator": operator}

    @staticmethod
    def summary(conv: dict[str, Any]) -> dict[str, Any]:
        operator = {"id": conv["operator_id"], "name": conv["operator_name"]} if conv.get("operator_id") else None
        return {
            "id": conv["id"],
            "state": conv["state"],
            "pseudonym": conv["pseudonym"],
            "locale": conv["locale"],
            "audience": conv["audience"],
            "topic": conv["topic"],
            "urgent": conv["urgent"],
            "age_band": conv["age_band"],
            "created_at": conv["created_at"],
            "waiting_since": conv["waiting_since"],
            "operator": operator,
            "visitor_connected": conv["visitor_connected"],
            "interpreter_needed": bool(conv.get("interpreter_needed")),
            "offered_to": (conv.get("offer") or {}).get("staff_id"),
            "followup": bool(conv.get("followup_redeemed")),
        }

    async def _notify_staff_summary(self, conv: dict[str, Any]) -> None:
        for staff_id in self.staff_participants(conv):
            await self.events.to_staff(staff_id, "conversation", {"conversation": self.summary(conv)})
