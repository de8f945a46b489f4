"""The end of a staff session reaches every open console of it, on every process, at once.

A staff session ends by logout, by an admin (disabling the account, changing its role,
resetting its password or TOTP: every session of the account ends), or by its idle or
absolute lifetime. Then:

* each console socket of the ended session(s) gets ``session_ended`` ``{reason,
  message}`` (the message in the staff member's console language) and is disconnected,
  on whichever process holds it (:meth:`~.events.Events.end_staff_socket`). The sockets
  are found in the ephemeral store, by staff member and by session
  (``do_console_opened``), so a process reaches the sockets of every other process;
* when the person is signed in nowhere else, their work is released as if their console
  had dropped for good, without the grace period: off duty, offers to them withdrawn,
  their chats back at the head of the queue with the visitor told (``operator_left``),
  and they leave the chats they were invited into or observed. The router then offers
  the chats to others.

Every step is idempotent (compare-and-set in the repository), so processes that notice
the same end at once (an expiry seen by the console watchers of two processes) do no
harm. Each process also checks its own consoles' sessions (transport/guard.py: every
event, and a watcher every half second), which catches ends no process announces:
expiry, and an account disabled from the command line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Literal, TypedDict

from ..storage.base import StoreUnavailable
from .domain import Staff
from .errors import N_, ServiceError
from .events import Translator
from .lifecycle import Lifecycle
from .queue import Queue
from .recipients import Notify
from .repository import Repository
from .router import Router
from .staff import StaffService, session_ref
from .supervision import Supervision

log = logging.getLogger(__name__)

#: Why a session ended, as ``session_ended`` says (docs/protocol.md).
EndReason = Literal["logout", "disabled", "role_changed", "password_reset", "totp_reset", "expired", "ended"]


class SessionEnded(TypedDict):
    """The ``session_ended`` event (docs/protocol.md)."""

    reason: EndReason
    message: str


MESSAGES: dict[EndReason, str] = {
    "logout": N_("You have been logged out."),
    "disabled": N_("Your account has been disabled."),
    "role_changed": N_("Your role has been changed. Please log in again."),
    "password_reset": N_("Your password has been reset. Please log in with the new one."),
    "totp_reset": N_(
        "Your authenticator app has been reset. Ask your administrator for the new key, then log in again."
    ),
    "expired": N_("Your session has expired. Please log in again."),
    "ended": N_("Your session has ended. Please log in again."),
}


async def announce_end(end: Awaitable[int], reason: EndReason) -> int:
    """Await ``end`` (a :class:`Revocation` action after a session ended in the durable
    store) for a caller that must not fail because of it (an admin's request, a logout):
    with the ephemeral store away, each process's console watcher closes its consoles
    and releases the work once the store answers again. Returns the sockets told."""
    try:
        return await end
    except StoreUnavailable:
        log.warning("staff session ended (%s) while the ephemeral store is unavailable: consoles close later", reason)
        return 0


class Revocation:
    """Ends the consoles of ended staff sessions and releases the person's work."""

    def __init__(
        self,
        staff: StaffService,
        repo: Repository,
        notify: Notify,
        translate: Translator,
        queue: Queue,
        router: Router,
        lifecycle: Lifecycle,
        supervision: Supervision,
    ) -> None:
        self._staff = staff
        self._repo = repo
        self._notify = notify
        self._t = translate
        self._queue = queue
        self._router = router
        self._lifecycle = lifecycle
        self._supervision = supervision

    # --- where the consoles are -------------------------------------------------------
    async def do_console_opened(self, session_ref: str, sid: str) -> None:
        """Console socket ``sid`` connected with the session ``session_ref`` (the
        staff index of sockets is kept by the router's presence)."""
        await self._repo.session_socket_opened(session_ref, sid)

    async def do_console_closed(self, session_ref: str, sid: str) -> None:
        """Console socket ``sid`` of the session ``session_ref`` disconnected."""
        await self._repo.session_socket_closed(session_ref, sid)

    # --- ends -------------------------------------------------------------------------
    async def do_logout(self, session_id: str, staff_id: str) -> int:
        """End the session ``session_id`` of ``staff_id`` (HTTP logout) and its open
        consoles. Returns how many console sockets were told."""
        await self._staff.logout(session_id, staff_id)
        return await announce_end(self.do_session_ended(staff_id, session_ref(session_id), "logout"), "logout")

    async def do_session_ended(self, staff_id: str, ref: str, reason: EndReason) -> int:
        """The session ``ref`` of ``staff_id`` has ended (logout, or found expired or
        revoked by a console watcher): its consoles are told and disconnected, and the
        person's work is released unless they are signed in elsewhere. Returns how many
        console sockets were told."""
        told = await self._end_sockets(staff_id, await self._repo.session_sockets(ref), reason)
        if not await self._staff.has_live_session(staff_id):
            await self.release(staff_id)
        return told

    async def do_signed_out(self, staff_id: str, reason: EndReason) -> int:
        """Every session of ``staff_id`` has ended (an admin disabled the account,
        changed its role, or reset its password or TOTP): every console of theirs is
        told and disconnected and their work released. Returns how many sockets were
        told."""
        sids = [sid for _node, sid in await self._repo.console_sockets(staff_id)]
        told = await self._end_sockets(staff_id, sids, reason)
        await self.release(staff_id)
        return told

    async def do_account_changed(self, staff_id: str, reason: EndReason) -> int:
        """A console watcher found the account disabled or its role changed where no
        admin action announced it (the command line, a direct change of the store):
        every session of it ends, as the admin API would have done, then as
        :meth:`do_signed_out`."""
        await self._staff.end_sessions(staff_id)
        return await self.do_signed_out(staff_id, reason)

    async def _end_sockets(self, staff_id: str, sids: list[str], reason: EndReason) -> int:
        if not sids:
            return 0
        payload = await self.notice(staff_id, reason)
        for sid in sids:
            await self._notify.end_staff_socket(sid, payload)
        log.info("staff session ended (%s): %d console socket(s) closed", reason, len(sids))
        return len(sids)

    async def notice(self, staff_id: str, reason: EndReason) -> SessionEnded:
        """The ``session_ended`` payload for ``staff_id``: the reason and its sentence in
        their console language."""
        locale = await self._notify.staff_locale(staff_id)
        return {"reason": reason, "message": self._t(locale, MESSAGES[reason])}

    async def release(self, staff_id: str) -> None:
        """Release everything ``staff_id`` holds, as when their console drops for good
        (services/router.py, services/lifecycle.py), but at once: off duty, pending
        offers withdrawn, assigned chats back at the head of the queue with the visitor
        told, invited and observed chats left; then the router offers the chats to
        others. Safe to run more than once and on several processes."""
        account = await self._staff.get(staff_id)
        staff = Staff.from_account(account) if account else Staff(staff_id, "", "operator", "sv")
        # Off duty first, so the router does not offer them the chats released below.
        if await self._queue.duty_of(staff_id) is not None:
            await self._queue.do_set_duty(staff, False, None)
        for conv in await self._repo.waiting():
            if conv.offer is not None and conv.offer.staff_id == staff_id:
                await self._router.withdraw(conv.id, conv.offer, "operator_away")
        await self._lifecycle.requeue_chats_of(staff_id)
        for conv in await self._repo.live():
            if staff_id in conv.invited_ids or staff_id in conv.observer_ids:
                try:
                    await self._supervision.do_leave(staff, conv.id)
                except ServiceError:
                    pass  # left meanwhile, or the chat ended
        await self._router.kick()
