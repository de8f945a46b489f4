"""The ``/operator`` namespace: staff in the console, authenticated by the session
cookie sent with the handshake (refused without a valid session).

Each handler parses, authorises through the staff guard, calls one service, and
acknowledges. Payloads: docs/protocol.md ("Socket.IO namespace /operator" and
"Operator namespace: console events").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..services.container import Services
from ..services.domain import Staff
from ..services.pending_triage import check_marks, check_ref
from ..services.staff import session_ref
from ..storage.base import StoreUnavailable
from . import validation as v
from .guard import StaffGuard, same_origin
from .guarded import GuardedNamespace, connect_locale, ok
from .notifier import OPERATOR_NS, queue_watchers_room, staff_room

log = logging.getLogger(__name__)


class OperatorNamespace(GuardedNamespace):
    limits = {"message": (3.0, 20.0), "typing": (5.0, 15.0), "accept": (2.0, 10.0)}

    def __init__(
        self,
        services: Services,
        guard: StaffGuard,
        translate: Callable[..., str],
        *,
        rate_limits: bool = True,
        refusal_observer: Callable[[str], None] = lambda code: None,
    ) -> None:
        super().__init__(OPERATOR_NS, translate, rate_limits=rate_limits, refusal_observer=refusal_observer)
        self.services = services
        self.guard = guard
        # Accounts of sockets between on_connect and after_connect (the CONNECT packet).
        self._greeting: dict[str, tuple[Staff, dict[str, Any]]] = {}

    async def locale_of(self, sid: str) -> str:
        """The socket's staff locale, for refusals (Swedish before sign-in)."""
        return self.guard.locale_of(sid) or "sv"

    async def staff_of(self, sid: str, used: bool = True) -> Staff:
        """The staff member of a console socket, with their current role (the staff
        guard: ``unauthorized`` once the session has ended). ``used``: the event is
        something the person did, so it keeps the session from idling out; what a
        console asks by itself passes False."""
        return await self.guard.require_staff(sid, write=used)

    def connection_count(self) -> int:
        """Console sockets signed in on this process (metrics)."""
        return len(self.guard)

    # --- connection -------------------------------------------------------------------
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if not same_origin(environ.get("HTTP_ORIGIN"), environ.get("aiohttp.request")):
            raise self.refuse_connect(connect_locale(environ), "forbidden")
        found = await self.guard.connect(sid, environ.get("HTTP_COOKIE"))
        if found is None:
            raise self.refuse_connect(connect_locale(environ), "unauthorized")
        self._greeting[sid] = found
        self.services.presence.consoles.opened(sid)

    async def after_connect(self, sid: str) -> None:
        """After the CONNECT packet: the staff rooms, presence, then ``session`` (nothing
        reaches a console before its CONNECT)."""
        found = self._greeting.pop(sid, None)
        if found is None:  # gone already
            return
        staff, account = found
        session_id = self.guard.session_id_of(sid)
        if session_id is None:  # gone already
            return
        await self.services.revocation.do_console_opened(session_ref(session_id), sid)
        await self.enter_room(sid, staff_room(staff.id))
        watch, route = await self.services.console.do_connected(staff, sid)
        if not self.services.presence.consoles.here(sid):
            # Disconnected meanwhile: its disconnect found nothing to remove yet.
            await self.services.console.do_disconnected(staff, sid)
            return
        self.server.start_background_task(route)
        for centre in watch:
            await self.enter_room(sid, queue_watchers_room(centre))
        await self.emit("session", await self.services.console.session(staff, account), to=sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.services.presence.consoles.closed(sid)
        session_id = self.guard.session_id_of(sid)
        staff = self.guard.disconnect(sid)
        self._greeting.pop(sid, None)
        self.forget(sid)
        if staff is not None and session_id is not None:
            await self.services.revocation.do_console_closed(session_ref(session_id), sid)
            await self.services.console.do_disconnected(staff, sid)

    async def close_ended_sessions(self) -> None:
        """The console watcher (app.py, twice a second): the consoles of staff sessions
        that ended (expired, or revoked where no process announced it, e.g. from the
        command line) are told and disconnected on every process, and the person's
        work is released (services/revocation.py)."""
        for ended in await self.guard.check_sessions():
            revocation = self.services.revocation
            try:
                if ended.reason in ("disabled", "role_changed"):  # the account changed: every session ends
                    await revocation.do_account_changed(ended.staff_id, ended.reason)
                else:
                    await revocation.do_session_ended(ended.staff_id, session_ref(ended.session_id), ended.reason)
            except StoreUnavailable:
                # Its consoles refuse every event meanwhile; closed (and the work
                # released) on a later round, once the store answers.
                self.guard.check_again(ended)
                continue
            for sid in ended.sids:
                # Normally closed by now through the store's index of sockets; one that
                # was not listed there (the index lost with a restarted store) is closed
                # here, with the same notice.
                if self.guard.session_id_of(sid) is not None:
                    await self.emit("session_ended", await revocation.notice(ended.staff_id, ended.reason), to=sid)
                    await self.disconnect(sid)

    # --- activity ---------------------------------------------------------------------
    async def on_active(self, sid: str, data: Any) -> dict[str, Any]:
        """The person is at the console (it sends this on their keyboard or pointer
        use, at most once a minute): the session does not idle out meanwhile."""
        v.validate(data, v.EMPTY)
        await self.staff_of(sid)
        return ok()

    # --- duty and the queue -----------------------------------------------------------
    async def on_duty(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.DUTY)
        staff = await self.staff_of(sid)
        change = await self.services.console.do_duty(staff, params["on"], params.get("languages"))
        for centre in staff.memberships:
            if centre in change.watch:
                await self.enter_room(sid, queue_watchers_room(centre))
            else:
                await self.leave_room(sid, queue_watchers_room(centre))
        if change.snapshot is not None:
            await self.emit("queue", change.snapshot, to=sid)
        return ok(duty=change.duty)

    async def on_accept(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        summary = await self.services.lifecycle.do_accept(await self.staff_of(sid), params["conversation_id"])
        return ok(conversation=summary)

    async def on_decline(self, sid: str, data: Any) -> dict[str, Any]:
        """Let an offered chat go to the next operator."""
        params = v.validate(data, v.CONVERSATION_REF)
        await self.services.router.do_decline(await self.staff_of(sid), params["conversation_id"])
        return ok()

    # --- writing ----------------------------------------------------------------------
    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.OPERATOR_MESSAGE)
        staff = await self.staff_of(sid)
        ack = await self.services.messages.do_operator_message(
            staff, params["conversation_id"], params["client_id"], params["text"]
        )
        return ok(**ack)

    async def on_note(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.NOTE)
        staff = await self.staff_of(sid)
        ack = await self.services.messages.do_operator_message(
            staff, params["conversation_id"], params["client_id"], params["text"], internal=True
        )
        return ok(**ack)

    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.OPERATOR_TYPING)
        staff = await self.staff_of(sid)
        await self.services.messages.do_operator_typing(staff, params["conversation_id"], params["active"])
        return ok()

    # --- ending and triage ------------------------------------------------------------
    async def on_end(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.OPERATOR_END)
        staff = await self.staff_of(sid)
        result = await self.services.lifecycle.do_operator_end(staff, params["conversation_id"], params.get("triage"))
        return ok(**result)

    async def on_triage_check(self, sid: str, data: Any) -> dict[str, Any]:
        """Validate a triage form without ending the chat (the end dialog shows the
        duty-to-report reminder before the chat ends)."""
        params = v.validate(data, v.TRIAGE_CHECK)
        staff = await self.staff_of(sid, used=False)
        return ok(
            report_duty=await self.services.lifecycle.check_triage(staff, params["conversation_id"], params["triage"])
        )

    # --- every chat gets its triage (services/pending_triage.py) -----------------------
    async def on_triage_list(self, sid: str, data: Any) -> dict[str, Any]:
        """Ended chats waiting for this operator's triage, and the marks of their live chats."""
        v.validate(data, v.EMPTY)
        staff = await self.staff_of(sid)
        pending = self.services.pending_triage
        return ok(items=await pending.listing(staff), marks=await pending.marks_of_chats(staff))

    async def on_triage_marks(self, sid: str, data: Any) -> dict[str, Any]:
        """Harm categories, assessed age band or municipality marked in a chat."""
        params = v.validate(data, v.TRIAGE_MARKS)
        ref = check_ref(params.get("conversation_id"), params.get("triage_id"))
        changes = check_marks(params.get("categories"), params.get("age_band"), params.get("municipality"))
        marks, duty = await self.services.pending_triage.do_mark(await self.staff_of(sid), ref, changes)
        return ok(marks=marks, report_duty=duty)

    async def on_report_duty_ack(self, sid: str, data: Any) -> dict[str, Any]:
        """The duty-to-report reminder of a chat was read."""
        params = v.validate(data, v.TRIAGE_REF)
        ref = check_ref(params.get("conversation_id"), params.get("triage_id"))
        return ok(marks=await self.services.pending_triage.do_acknowledge(await self.staff_of(sid), ref))

    async def on_triage(self, sid: str, data: Any) -> dict[str, Any]:
        """The triage of an ended chat, saved afterwards."""
        params = v.validate(data, v.TRIAGE_SAVE)
        staff = await self.staff_of(sid)
        duty = await self.services.pending_triage.do_triage(staff, params["triage_id"], params["triage"])
        return ok(report_duty=duty)

    async def on_triage_skip(self, sid: str, data: Any) -> dict[str, Any]:
        """An ended chat not triaged, with a reason."""
        params = v.validate(data, v.TRIAGE_SKIP)
        await self.services.pending_triage.do_skip(await self.staff_of(sid), params["triage_id"], params["reason"])
        return ok()

    # --- console actions --------------------------------------------------------------
    async def on_transfer(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.TRANSFER)
        staff = await self.staff_of(sid)
        summary = await self.services.supervision.do_transfer(
            staff, params["conversation_id"], params["to"], params.get("note")
        )
        return ok(conversation=summary)

    async def on_invite(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.INVITE)
        staff = await self.staff_of(sid)
        return ok(
            conversation=await self.services.supervision.do_invite(staff, params["conversation_id"], params["to"])
        )

    async def on_observe(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        staff = await self.staff_of(sid)
        return ok(**await self.services.supervision.do_observe(staff, params["conversation_id"]))

    async def on_join(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        staff = await self.staff_of(sid)
        return ok(conversation=await self.services.supervision.do_join(staff, params["conversation_id"]))

    async def on_leave(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        await self.services.supervision.do_leave(await self.staff_of(sid), params["conversation_id"])
        return ok()

    async def on_remove_waiting(self, sid: str, data: Any) -> dict[str, Any]:
        """Supervisors: remove waiting chats judged fake (a flood); each is blocked."""
        params = v.validate(data, v.REMOVE_WAITING)
        staff = await self.staff_of(sid)  # the service checks their role in each chat's centre
        return ok(removed=await self.services.queue_guard.do_remove_waiting(staff, params["conversation_ids"]))

    async def on_block(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CONVERSATION_REF)
        staff = await self.staff_of(sid)
        return ok(blocked=await self.services.supervision.do_block(staff, params["conversation_id"]))

    # --- what the console lists -------------------------------------------------------
    async def on_canned(self, sid: str, data: Any) -> dict[str, Any]:
        params = v.validate(data, v.CANNED)
        staff = await self.staff_of(sid, used=False)
        locale = params.get("locale") or staff.locale
        centre, items = await self.services.console.canned(
            staff, locale, params.get("conversation_id"), params.get("centre")
        )
        return ok(locale=locale, centre=centre, items=items)

    async def on_colleagues(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        return ok(items=await self.services.supervision.colleagues(await self.staff_of(sid, used=False)))

    async def on_overview(self, sid: str, data: Any) -> dict[str, Any]:
        v.validate(data, v.EMPTY)
        return ok(items=await self.services.supervision.overview(await self.staff_of(sid, used=False)))

    async def on_sync(self, sid: str, data: Any) -> dict[str, Any]:
        """Chats this staff member was invited into or observes (after a reload)."""
        v.validate(data, v.EMPTY)
        return ok(chats=await self.services.supervision.invited_chats(await self.staff_of(sid, used=False)))

    # --- referrals and follow-up codes ------------------------------------------------
    async def on_referral(self, sid: str, data: Any) -> dict[str, Any]:
        """Send referral cards to the visitor, in the visitor's language."""
        params = v.validate(data, v.REFERRAL)
        staff = await self.staff_of(sid)
        return ok(cards=await self.services.referrals.do_send(staff, params["conversation_id"], params["targets"]))

    async def on_directory(self, sid: str, data: Any) -> dict[str, Any]:
        """The referral directory for a chat: its visitor's home centre's (overflow)."""
        params = v.validate(data, v.CONVERSATION_REF)
        staff = await self.staff_of(sid, used=False)
        return ok(**await self.services.referrals.for_chat(staff, params["conversation_id"], staff.locale))

    async def on_followup_summary(self, sid: str, data: Any) -> dict[str, Any]:
        """Store a summary under a new code and show the code once to the visitor."""
        params = v.validate(data, v.FOLLOWUP_SUMMARY)
        staff = await self.staff_of(sid)
        expires_at = await self.services.followups.do_issue(staff, params["conversation_id"], params["summary"])
        return ok(expires_at=expires_at)

    async def on_followup_get(self, sid: str, data: Any) -> dict[str, Any]:
        """Whether the chat was opened with a follow-up code (the summary itself is in
        the chat's history as a staff-only note)."""
        params = v.validate(data, v.CONVERSATION_REF)
        await self.services.followups.check_redeemed(await self.staff_of(sid, used=False), params["conversation_id"])
        return ok(followup=True)
