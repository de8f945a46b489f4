"""Console actions around a live conversation: transfer (to a colleague or back to the
queue), invite a colleague, silent observation and joining by supervisors, leaving,
blocking an abusive visitor; what the console lists (colleagues, the supervisors'
overview, chats one was invited into) and the alert for urgent chats that wait.

Everything is scoped by the conversation's centre (issue 19): staff act only on chats
of centres they belong to (another centre's chat is ``not_found``, so its existence is
not told), with their role *in that centre*; colleagues brought into a chat belong to
its centre; the overview and the alerts reach a centre's supervisors only.

``check_*`` validate and raise ``ServiceError``; ``do_*`` act. Every change of a
conversation is one compare-and-set (services/repository.py); every emit goes through
services/recipients.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, TypedDict

from ..config import Settings
from .audit import Audit
from .centre_domain import memberships
from .domain import Conversation, Staff, now_ms
from .errors import MSG_CONFLICT, MSG_FORBIDDEN, MSG_NOT_FOUND, N_, ServiceError
from .lifecycle import Lifecycle
from .messages import MessageOut, Messages
from .payloads import ConsoleSummary, console_summary, state_payload
from .queue import Queue
from .recipients import Notify
from .repository import Repository
from .roles import SUPERVISORS
from .router import Router
from .routing import needs_interpreter
from .staff import AccountLookup

log = logging.getLogger(__name__)

MSG_NOT_ON_DUTY = N_("That colleague is not on duty.")
MSG_COLLEAGUE_FULL = N_("That colleague already has as many chats as they can take.")
MSG_NO_BLOCK_KEY = N_("This visitor cannot be blocked: their connection is gone. The chat was ended.")

Accounts = Callable[[], Awaitable[list[dict[str, Any]]]]


class ChatView(TypedDict):
    conversation: ConsoleSummary
    messages: list[MessageOut]


class InvitedChat(ChatView):
    observing: bool


class Colleague(TypedDict):
    id: str
    name: str
    role: str
    languages: list[str]
    on_duty: bool


def check_in_centre(staff: Staff, conv: Conversation) -> None:
    """``not_found`` unless ``staff`` belongs to ``conv``'s centre: a chat of another
    centre is answered as if it did not exist."""
    if staff.role_in(conv.centre) is None:
        raise ServiceError("not_found", MSG_NOT_FOUND)


def check_owns(staff: Staff, conv: Conversation) -> None:
    """May ``staff`` act on ``conv`` as its operator? ``not_found`` when it is of a
    centre they do not belong to, ``conflict`` unless active, ``forbidden`` unless
    assigned to them (supervisors and admins of its centre may act on any of its chats)."""
    check_in_centre(staff, conv)
    if conv.state != "active":
        raise ServiceError("conflict", MSG_CONFLICT)
    if conv.operator_id != staff.id and staff.role_in(conv.centre) not in SUPERVISORS:
        raise ServiceError("forbidden", MSG_FORBIDDEN)


def supervises(staff: Staff) -> frozenset[str]:
    """The centres where ``staff`` is a supervisor or an admin."""
    return frozenset(c for c, role in staff.memberships.items() if role in SUPERVISORS)


def _without(ids: tuple[str, ...], staff_id: str) -> tuple[str, ...]:
    return tuple(i for i in ids if i != staff_id)


def supervisors_of(accounts: list[dict[str, Any]], centre: str) -> list[str]:
    """Ids of the enabled supervisors and admins of ``centre`` among ``accounts``."""
    return [r["id"] for r in accounts if not r.get("disabled") and memberships(r).get(centre) in SUPERVISORS]


class Supervision:
    def __init__(
        self,
        repo: Repository,
        notify: Notify,
        messages: Messages,
        lifecycle: Lifecycle,
        queue: Queue,
        account: AccountLookup,
        accounts: Accounts,
        audit: Audit,
        router: Router,
        settings: Settings,
    ) -> None:
        self._repo = repo
        self._notify = notify
        self._messages = messages
        self._lifecycle = lifecycle
        self._queue = queue
        self._account = account
        self._accounts = accounts
        self._audit = audit
        self._router = router
        self._settings = settings

    # --- helpers ----------------------------------------------------------------------
    async def _live(self, conversation_id: str) -> Conversation:
        conv = await self._repo.get_live(conversation_id)
        if conv is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return conv

    async def _in_centre(self, staff: Staff, conversation_id: str) -> Conversation:
        conv = await self._live(conversation_id)
        check_in_centre(staff, conv)
        return conv

    async def _colleague(self, staff_id: str, centre: str) -> Mapping[str, Any]:
        """An enabled account that belongs to ``centre``; ``not_found`` otherwise."""
        record = await self._account(staff_id)
        if record is None or record.get("disabled") or centre not in memberships(record):
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return record

    async def _change(self, seen: Conversation, fn: Callable[[Conversation], Conversation]) -> Conversation:
        """Apply ``fn`` if the conversation is still in the state it was seen in;
        ``conflict`` otherwise."""

        def guarded(conv: Conversation) -> Conversation:
            if conv.state != seen.state:
                raise ServiceError("conflict", MSG_CONFLICT)
            return fn(conv)

        changed = await self._repo.change(seen.id, guarded)
        if changed is None:
            raise ServiceError("conflict", MSG_CONFLICT)
        return changed.after

    async def _view(self, conv: Conversation, locale: str) -> ChatView:
        return {"conversation": console_summary(conv), "messages": await self._messages.history_for_staff(conv, locale)}

    async def _tell_participants(self, conv: Conversation) -> None:
        await self._notify.send(conv, "staff", "conversation", {"conversation": console_summary(conv)})

    # --- transfer ---------------------------------------------------------------------
    async def do_transfer(self, staff: Staff, conversation_id: str, to: str, note: str | None) -> ConsoleSummary:
        """Hand the chat to colleague ``to`` (who must exist, be enabled, be on duty and
        have a free place) or, with ``to == "queue"``, back to the head of the queue.
        ``note`` is a staff-only message for whoever takes it next, written only when
        the transfer happens (a refused transfer leaves nothing). The previous operator
        gets ``released``; the visitor's "is typing" from them is cleared.
        ``interpreter_needed`` is decided anew for the colleague (services/routing.py
        :func:`needs_interpreter`), and the visitor is told when it is true."""
        conv = await self._live(conversation_id)
        check_owns(staff, conv)
        previous = conv.operator_id

        async def write_note(before: Conversation) -> None:
            # A staff-only message: the colleague (or whoever accepts from the queue)
            # reads it in the history; the visitor never does. Delivered live to those
            # who were in the chat when it was written.
            if note:
                cipher = await self._repo.cipher(before.id)
                await self._messages.post(
                    before, cipher, "operator", staff.id, "note-" + str(now_ms()), note, True, as_read=True
                )

        if to == "queue":
            changed = await self._lifecycle.requeue(
                conv.id, lambda c: c.operator_id == previous, "transferred", why="transferred", then=write_note
            )
            if changed is None:
                raise ServiceError("conflict", MSG_CONFLICT)
            updated = changed.after
        else:
            updated = await self._transfer_to(staff, conv, to, write_note)
        await self._audit.record(staff.id, "transfer", conv.id, centres=[conv.centre], to=to)
        return console_summary(updated)

    async def _transfer_to(
        self, staff: Staff, conv: Conversation, to: str, write_note: Callable[[Conversation], Awaitable[None]]
    ) -> Conversation:
        record = await self._colleague(to, conv.centre)
        if to == conv.operator_id:
            raise ServiceError("conflict", MSG_CONFLICT)
        if await self._queue.duty_of(to) is None:
            raise ServiceError("conflict", MSG_NOT_ON_DUTY)
        skills = await self._router.skills(to)
        interpreter = needs_interpreter(conv.locale, await self._router.languages_of(to))
        took = await self._repo.take_place(to, conv.id, skills.max_chats)
        if took == "full":
            raise ServiceError("conflict", MSG_COLLEAGUE_FULL)
        name, previous = str(record["name"]), conv.operator_id

        def hand_over(c: Conversation) -> Conversation:
            if c.state != "active" or c.operator_id != previous:
                raise ServiceError("conflict", MSG_CONFLICT)
            return replace(
                c,
                operator_id=to,
                operator_name=name,
                invited_ids=_without(c.invited_ids, to),
                observer_ids=_without(c.observer_ids, to),
                staff_names={**c.staff_names, to: name},
                interpreter_needed=interpreter,
            )

        try:
            changed = await self._repo.change(conv.id, hand_over)
            if changed is None:
                raise ServiceError("conflict", MSG_CONFLICT)
        except BaseException:
            if took == "taken":
                await self._repo.give_back_place(to, conv.id)
            raise
        before, updated = changed.before, changed.after
        await self._repo.give_back_place(previous, conv.id)
        await write_note(before)
        if previous:
            await self._notify.to_staff(previous, "released", {"conversation_id": conv.id, "reason": "transferred"})
        await self._notify.send(updated, "visitor", "typing", {"active": False})
        await self._messages.add_system(updated, "transferred")
        await self._notify.send(updated, "visitor", "state", state_payload(updated))
        await self._messages.add_system(updated, "operator_joined", {"name": name})
        if updated.interpreter_needed:
            await self._messages.add_system(updated, "interpreter")
        view = await self._view(updated, await self._notify.staff_locale(to))
        by = {"id": staff.id, "name": staff.name}
        await self._notify.to_staff(to, "assigned", {**view, "transferred_by": by})
        # Invited colleagues and observers see the new operator (and interpreter flag).
        await self._tell_participants(updated)
        await self._router.withdraw_excess_offers(to, skills.max_chats)
        return updated

    # --- invite, observe, join, leave -------------------------------------------------
    async def do_invite(self, staff: Staff, conversation_id: str, to: str) -> ConsoleSummary:
        """Bring colleague ``to`` into the chat (an interpreter, a supervisor); the
        visitor is told honestly. ``conflict`` if they are already in it."""
        conv = await self._live(conversation_id)
        check_owns(staff, conv)
        record = await self._colleague(to, conv.centre)
        name = str(record["name"])

        def invite(c: Conversation) -> Conversation:
            if to == c.operator_id or to in c.invited_ids:
                raise ServiceError("conflict", MSG_CONFLICT)
            return replace(
                c,
                invited_ids=(*c.invited_ids, to),
                observer_ids=_without(c.observer_ids, to),
                staff_names={**c.staff_names, to: name},
            )

        updated = await self._change(conv, invite)
        await self._messages.add_system(updated, "operator_joined", {"name": name})
        locale = await self._notify.staff_locale(to)
        await self._notify.to_staff(
            to, "invited", {**await self._view(updated, locale), "by": {"id": staff.id, "name": staff.name}}
        )
        await self._tell_participants(updated)
        await self._audit.record(staff.id, "invite", conv.id, centres=[conv.centre], to=to)
        return console_summary(updated)

    async def do_observe(self, staff: Staff, conversation_id: str) -> ChatView:
        """A supervisor of the chat's centre reads it silently (the visitor is not
        told). ``not_found`` for another centre's chat, ``forbidden`` for other roles,
        ``conflict`` when already in the chat."""
        conv = await self._in_centre(staff, conversation_id)
        if staff.role_in(conv.centre) not in SUPERVISORS:
            raise ServiceError("forbidden", MSG_FORBIDDEN)

        def observe(c: Conversation) -> Conversation:
            if staff.id in c.staff_participants():
                raise ServiceError("conflict", MSG_CONFLICT)
            return replace(
                c, observer_ids=(*c.observer_ids, staff.id), staff_names={**c.staff_names, staff.id: staff.name}
            )

        updated = await self._change(conv, observe)
        await self._tell_participants(updated)
        await self._audit.record(staff.id, "observe", conv.id, centres=[conv.centre])
        return await self._view(updated, staff.locale)

    async def do_join(self, staff: Staff, conversation_id: str) -> ConsoleSummary:
        """An observing supervisor steps in: from now on they can write."""
        conv = await self._in_centre(staff, conversation_id)

        def join(c: Conversation) -> Conversation:
            if staff.id not in c.observer_ids or c.state != "active":
                raise ServiceError("conflict", MSG_CONFLICT)
            return replace(c, observer_ids=_without(c.observer_ids, staff.id), invited_ids=(*c.invited_ids, staff.id))

        updated = await self._change(conv, join)
        await self._messages.add_system(updated, "operator_joined", {"name": staff.name})
        await self._tell_participants(updated)
        await self._audit.record(staff.id, "invite", conv.id, centres=[conv.centre], to=staff.id, joined=True)
        return console_summary(updated)

    async def do_leave(self, staff: Staff, conversation_id: str) -> None:
        """An invited colleague or an observer leaves; the assigned operator cannot
        (``forbidden``: transfer or end instead)."""
        conv = await self._live(conversation_id)

        if staff.id not in (*conv.invited_ids, *conv.observer_ids):
            check_in_centre(staff, conv)  # another centre's chat: not_found

        def leave(c: Conversation) -> Conversation:
            if staff.id not in (*c.invited_ids, *c.observer_ids):
                raise ServiceError("forbidden", MSG_FORBIDDEN)
            return replace(
                c, invited_ids=_without(c.invited_ids, staff.id), observer_ids=_without(c.observer_ids, staff.id)
            )

        updated = await self._change(conv, leave)
        await self._notify.to_staff(staff.id, "released", {"conversation_id": conv.id, "reason": "left"})
        await self._tell_participants(updated)

    # --- block ------------------------------------------------------------------------
    async def do_block(self, staff: Staff, conversation_id: str) -> bool:
        """End the chat with reason ``blocked`` and refuse new chats from the visitor's
        rate-limit key (HMAC of the address under the daily key) for ``block_s``, on
        every process: the key is on the conversation (set at start and at every
        resume). Returns whether a key could be blocked (false only for a conversation
        an older release started)."""
        conv = await self._live(conversation_id)
        check_owns(staff, conv)
        key = conv.address_key
        if key:
            await self._repo.block(key, self._settings.block_s)
        await self._lifecycle.finish(conv.id, "blocked")
        await self._audit.record(staff.id, "block", conv.id, centres=[conv.centre])
        return bool(key)

    # --- what the console lists -------------------------------------------------------
    async def overview(self, staff: Staff) -> list[ConsoleSummary]:
        """The live conversations (waiting and active) of the centres ``staff``
        supervises; a national admin's: every centre's (summaries only, never content).
        ``forbidden`` for someone who supervises no centre."""
        scope = supervises(staff)
        if not scope and not staff.national_admin:
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        live = await self._repo.live()
        return [console_summary(c) for c in live if staff.national_admin or c.centre in scope]

    async def invited_chats(self, staff: Staff) -> list[InvitedChat]:
        """Chats this staff member was invited into or observes (a reloaded console)."""
        out: list[InvitedChat] = []
        for conv in await self._repo.live():
            if conv.state == "active" and staff.id in (*conv.invited_ids, *conv.observer_ids):
                history = await self._messages.history_if_live(conv, staff.locale)
                if history is None:
                    continue  # ended while the console reloaded
                view: ChatView = {"conversation": console_summary(conv), "messages": history}
                out.append({**view, "observing": staff.id in conv.observer_ids})
        return out

    async def colleagues(self, me: Staff) -> list[Colleague]:
        """Enabled staff other than ``me`` who share a centre with them, on duty first
        (transfer and invite pickers; a chat goes only to its centre's staff)."""
        items: list[Colleague] = []
        mine = set(me.memberships)
        for record in await self._accounts():
            if record.get("disabled") or record["id"] == me.id or not mine & set(memberships(record)):
                continue
            duty = await self._queue.duty_of(record["id"])
            languages = list(duty.languages) if duty and duty.languages else record.get("languages", [])
            items.append(
                {
                    "id": record["id"],
                    "name": record["name"],
                    "role": record["role"],
                    "languages": languages,
                    "on_duty": duty is not None,
                }
            )
        items.sort(key=lambda i: (not i["on_duty"], i["name"].lower()))
        return items

    async def alert_sweep(self) -> int:
        """Alert the supervisors of its centre once per urgent chat that waits longer
        than ``urgent_alert_s``. Safe on every node: a shared counter makes sure only one
        node sends each alert. Returns the alerts sent here."""
        limit_ms = self._settings.urgent_alert_s * 1000
        ts = now_ms()
        sent = 0
        accounts: list[dict[str, Any]] | None = None
        for conv in await self._repo.waiting():
            if not conv.urgent or ts - conv.waiting_since < limit_ms:
                continue
            if not await self._repo.first_time("urgent-alert:" + conv.id, self._repo.ttl_s):
                continue
            if accounts is None:
                accounts = await self._accounts()
            supervisors = supervisors_of(accounts, conv.centre)
            payload = {
                "kind": "urgent_waiting",
                "conversation": console_summary(conv),
                "waited_s": (ts - conv.waiting_since) // 1000,
            }
            for staff_id in supervisors:
                await self._notify.to_staff(staff_id, "alert", payload)
            sent += 1
        return sent
