"""Every conversation gets its triage: marks during the chat, and a "to triage" entry
after it, until the triage is saved or skipped with a reason.

Two small records in the ephemeral store, never any content. This module is their one
owner (services/repository.py owns the conversation itself):

* ``tmarks:<conversation id>`` (*marks*), while the chat lives: the harm categories an
  operator ticked (``categories``), their assessment of the age band (``age_band``),
  the visitor's municipality when they said it (``municipality``, a municipality code,
  or name, from the referral directory), and who acknowledged the duty-to-report reminder
  (``acknowledged_by``, a staff display name). They decide the reminder while the chat
  runs (services/triage.py ``report_duty``) and move into the entry when it ends.
* ``totriage:<triage id>`` (*entry*), from the end until the triage is saved or
  skipped, at most :data:`WINDOW_S`: the operator who had the chat, the chat's summary
  (pseudonym, locale, audience, topic, age band, urgent), when and why it ended, and the
  marks. The index ``totriage:<staff id>`` lists an operator's entries. The triage id
  is new and random: nothing stored after the end names the conversation, so nothing
  left links to what the store held while it lived (the ``triage_pending`` event tells
  the operator's open console which chat it was).

When the triage is saved its counters are recorded on the day the chat *ended*
(services/stats.py), so they add up with that day's other counters; the window is why
statistics publish a month only a day after it ends (``stats.SETTLE_DAYS``). Each entry
is taken (deleted) by exactly one caller before its counters are recorded, so two tabs
saving at once count it once.

``check_*`` validate and raise ``ServiceError``; ``do_*`` act; every emit goes through
services/recipients.py.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from .. import i18n
from ..storage.base import DEFAULT_CENTRE, Ephemeral
from . import triage
from .audit import Audit
from .domain import Conversation, EndReason, Millis, Staff, now_ms
from .errors import MSG_CONFLICT, MSG_FORBIDDEN, MSG_INVALID, MSG_NOT_FOUND, ServiceError
from .messages import check_visible
from .recipients import Notify
from .repository import Repository
from .stats import Stats

log = logging.getLogger(__name__)

MARKS, ENTRY = "tmarks", "totriage"
INDEX = "totriage:"  # + staff id
#: How long an ended chat waits for its triage (s). After that the entry is gone and
#: the chat counts as not triaged. Statistics wait this long past a month's end before
#: publishing it (services/stats.py SETTLE_DAYS).
WINDOW_S = 24 * 3600
#: Tries of a compare-and-set on an entry's marks before ``conflict`` (two tabs at once).
MARK_ATTEMPTS = 8
#: A municipality as the referral directory names it: its code ("2080"), or its name
#: when a receiver has no code ("Malung-Sälen").
MUNICIPALITY = re.compile(r"[\w\- ]{1,80}")


class MarksOut(TypedDict):
    """Marks as the console receives them (docs/protocol.md)."""

    categories: list[str]
    age_band: str | None
    municipality: str | None
    acknowledged_by: str | None


class EntryOut(TypedDict):
    """A "to triage" entry as the console receives it (docs/protocol.md)."""

    id: str
    pseudonym: str
    locale: str
    audience: str
    topic: str | None
    age_band: str | None
    urgent: bool
    ended_at: Millis
    expires_at: Millis
    reason: str
    marks: MarksOut


@dataclass(frozen=True)
class Marks:
    """What operators marked in a chat (no content)."""

    categories: tuple[str, ...] = ()
    age_band: str | None = None
    municipality: str | None = None
    acknowledged_by: str | None = None

    def out(self) -> MarksOut:
        return {
            "categories": list(self.categories),
            "age_band": self.age_band,
            "municipality": self.municipality,
            "acknowledged_by": self.acknowledged_by,
        }

    @staticmethod
    def from_record(raw: dict[str, Any] | None) -> Marks:
        raw = raw or {}
        return Marks(
            tuple(raw.get("categories") or ()), raw.get("age_band"), raw.get("municipality"), raw.get("acknowledged_by")
        )


@dataclass(frozen=True)
class Entry:
    """An ended chat waiting for its triage (``id``: the triage id, not the chat's)."""

    id: str
    staff_id: str
    pseudonym: str
    locale: str
    audience: str
    topic: str | None
    age_band: str | None
    urgent: bool
    ended_at: Millis
    reason: str
    marks: Marks = field(default_factory=Marks)
    centre: str = DEFAULT_CENTRE  # the conversation's, for its statistics

    def out(self) -> EntryOut:
        return {
            "id": self.id,
            "pseudonym": self.pseudonym,
            "locale": self.locale,
            "audience": self.audience,
            "topic": self.topic,
            "age_band": self.age_band,
            "urgent": self.urgent,
            "ended_at": self.ended_at,
            "expires_at": self.ended_at + WINDOW_S * 1000,
            "reason": self.reason,
            "marks": self.marks.out(),
        }

    def to_record(self) -> dict[str, Any]:
        return {**self.out(), "staff_id": self.staff_id, "marks": self.marks.out(), "centre": self.centre}

    @staticmethod
    def from_record(raw: dict[str, Any]) -> Entry:
        return Entry(
            raw["id"],
            raw["staff_id"],
            raw["pseudonym"],
            raw["locale"],
            raw["audience"],
            raw.get("topic"),
            raw.get("age_band"),
            bool(raw.get("urgent")),
            int(raw["ended_at"]),
            raw["reason"],
            Marks.from_record(raw.get("marks")),
            raw.get("centre") or DEFAULT_CENTRE,
        )

    def report_duty(self) -> bool:
        return triage.report_duty(self.marks.age_band or self.age_band, self.marks.categories, self.topic)


@dataclass(frozen=True)
class Ref:
    """What marks are about: a live conversation, or one of the staff member's entries."""

    conversation_id: str = ""
    triage_id: str = ""


def check_ref(conversation_id: str | None, triage_id: str | None) -> Ref:
    """Exactly one of the two; ``invalid`` otherwise."""
    if bool(conversation_id) == bool(triage_id):
        raise ServiceError("invalid", MSG_INVALID)
    return Ref(conversation_id or "", triage_id or "")


def check_marks(categories: Any, age_band: Any, municipality: Any) -> dict[str, Any]:
    """The changed fields of a ``triage_marks`` request (``None`` for an absent one
    means "unchanged"; ``""`` clears the age band or municipality); ``invalid`` for
    unknown values."""
    changes: dict[str, Any] = {}
    if categories is not None:
        if not isinstance(categories, list) or not all(c in triage.HARM_CATEGORIES for c in categories):
            raise ServiceError("invalid", MSG_INVALID)
        changes["categories"] = sorted(set(categories))
    if age_band is not None:
        if age_band not in ("", *triage.AGE_BANDS):
            raise ServiceError("invalid", MSG_INVALID)
        changes["age_band"] = age_band or None
    if municipality is not None:
        if not isinstance(municipality, str) or (municipality and not MUNICIPALITY.fullmatch(municipality)):
            raise ServiceError("invalid", MSG_INVALID)
        changes["municipality"] = municipality or None
    return changes


class PendingTriage:
    """Marks during a chat and "to triage" entries after it (see the module)."""

    def __init__(self, eph: Ephemeral, repo: Repository, notify: Notify, stats: Stats, audit: Audit) -> None:
        self._eph = eph
        self._repo = repo
        self._notify = notify
        self._stats = stats
        self._audit = audit

    # --- during the chat ----------------------------------------------------------
    async def marks(self, conversation_id: str) -> Marks:
        return Marks.from_record(await self._eph.get(MARKS, conversation_id))

    async def _participant(self, staff: Staff, conversation_id: str) -> Conversation:
        conv = await self._repo.get_live(conversation_id)
        if conv is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        if staff.id not in conv.staff_participants():
            check_visible(staff, conv)  # another centre's chat: not_found
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return conv

    async def _set_marks(self, conversation_id: str, changes: dict[str, Any]) -> Marks:
        # Fields are independent and each is replaced whole, so a merge is enough: two
        # colleagues marking at once each keep their own field.
        if await self._eph.update(MARKS, conversation_id, changes) is None:
            fresh = {**Marks().out(), **changes}
            if not await self._eph.add(MARKS, conversation_id, fresh, self._repo.ttl_s):
                await self._eph.update(MARKS, conversation_id, changes)
        return await self.marks(conversation_id)

    async def _change_entry_marks(self, staff: Staff, triage_id: str, changes: dict[str, Any]) -> Entry:
        """Merge ``changes`` into the marks of one of ``staff``'s entries, compare-and-set
        on the marks as read: two tabs marking different fields at once keep both."""
        for _ in range(MARK_ATTEMPTS):
            entry, raw = await self._entry_and_record(staff, triage_id)
            updated = replace(entry, marks=Marks.from_record({**entry.marks.out(), **changes}))
            done = await self._eph.update(
                ENTRY, entry.id, {"marks": updated.marks.out()}, expect={"marks": raw.get("marks")}
            )
            if done is not None:
                return updated
        raise ServiceError("conflict", MSG_CONFLICT)

    async def _entry_of(self, staff: Staff, triage_id: str) -> Entry:
        return (await self._entry_and_record(staff, triage_id))[0]

    async def _entry_and_record(self, staff: Staff, triage_id: str) -> tuple[Entry, dict[str, Any]]:
        raw = await self._eph.get(ENTRY, triage_id)
        entry = Entry.from_record(raw) if raw is not None else None
        if raw is None or entry is None or entry.staff_id != staff.id:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        if now_ms() - entry.ended_at >= WINDOW_S * 1000:
            await self._forget(entry)
            raise ServiceError("not_found", MSG_NOT_FOUND)
        return entry, raw

    async def do_mark(self, staff: Staff, ref: Ref, changes: dict[str, Any]) -> tuple[MarksOut, bool]:
        """Change the marks (``changes`` from :func:`check_marks`) of a live chat
        ``staff`` may write in, or of one of their own entries. Returns (the marks,
        whether the duty to report applies now). ``not_found``, ``forbidden``. Every
        staff participant of a live chat gets ``triage_marks``."""
        if ref.triage_id:
            updated = await self._change_entry_marks(staff, ref.triage_id, changes)
            return updated.marks.out(), updated.report_duty()
        conv = await self._participant(staff, ref.conversation_id)
        if staff.id in conv.observer_ids:
            raise ServiceError("forbidden", MSG_FORBIDDEN)  # observers read silently
        marks = await self._set_marks(conv.id, changes) if changes else await self.marks(conv.id)
        await self._tell(conv, marks)
        return marks.out(), triage.report_duty(marks.age_band or conv.age_band, marks.categories, conv.topic)

    async def do_acknowledge(self, staff: Staff, ref: Ref) -> MarksOut:
        """``staff`` has read the duty-to-report reminder of a chat (live, or their own
        entry). Kept with the marks only (who, by display name), never in the audit
        log: with the hour of a chat it would tell that a child at risk wrote then.
        ``not_found``, ``forbidden``."""
        if ref.triage_id:
            return (await self._change_entry_marks(staff, ref.triage_id, {"acknowledged_by": staff.name})).marks.out()
        conv = await self._participant(staff, ref.conversation_id)
        if staff.id in conv.observer_ids:
            raise ServiceError("forbidden", MSG_FORBIDDEN)  # observers read silently
        marks = await self._set_marks(conv.id, {"acknowledged_by": staff.name})
        await self._tell(conv, marks)
        return marks.out()

    async def _tell(self, conv: Conversation, marks: Marks) -> None:
        await self._notify.send(conv, "staff", "triage_marks", {"conversation_id": conv.id, "marks": marks.out()})

    async def marks_of_chats(self, staff: Staff) -> dict[str, MarksOut]:
        """The marks of every live chat ``staff`` takes part in (a reloaded console)."""
        out: dict[str, MarksOut] = {}
        for conv in await self._repo.live():
            if staff.id in conv.staff_participants():
                out[conv.id] = (await self.marks(conv.id)).out()
        return out

    # --- the end (services/lifecycle.py finish) -------------------------------------
    async def on_ended(self, conv: Conversation, reason: EndReason, ended_at: Millis, triaged: bool) -> None:
        """A chat ended (called once, by the caller that ended it). Unless its triage
        was recorded at the end, the operator who had it gets an entry and
        ``triage_pending``; the marks move into the entry. A chat nobody answered has
        nothing to triage."""
        marks = await self.marks(conv.id)
        await self._eph.delete(MARKS, conv.id)
        if triaged or not conv.operator_id or conv.accepted_at is None:
            return
        entry = Entry(
            "t" + secrets.token_urlsafe(12),
            conv.operator_id,
            conv.pseudonym,
            conv.locale,
            conv.audience,
            conv.topic,
            conv.age_band,
            conv.urgent,
            ended_at,
            reason,
            marks,
            conv.centre,
        )
        await self._eph.put(ENTRY, entry.id, entry.to_record(), WINDOW_S)
        await self._eph.index_add(INDEX + entry.staff_id, entry.id, ended_at, WINDOW_S)
        # Only this event (never the store) says which conversation the entry was.
        await self._notify.to_staff(entry.staff_id, "triage_pending", {"conversation_id": conv.id, "item": entry.out()})

    # --- after the end ----------------------------------------------------------------
    async def listing(self, staff: Staff) -> list[EntryOut]:
        """``staff``'s ended chats waiting for triage, oldest first."""
        out: list[EntryOut] = []
        ts = now_ms()
        for triage_id, _ in await self._eph.index_members(INDEX + staff.id):
            raw = await self._eph.get(ENTRY, triage_id)
            if raw is None:
                await self._eph.index_remove(INDEX + staff.id, triage_id)
                continue
            entry = Entry.from_record(raw)
            if ts - entry.ended_at >= WINDOW_S * 1000:
                await self._forget(entry)
                continue
            out.append(entry.out())
        return out

    async def _forget(self, entry: Entry) -> bool:
        """Take the entry (True for the one caller that removed it)."""
        taken = await self._eph.delete(ENTRY, entry.id)
        await self._eph.index_remove(INDEX + entry.staff_id, entry.id)
        return taken

    async def _record(self, staff: Staff, entry: Entry, counters: dict[str, int], outcome: str) -> None:
        if not await self._forget(entry):
            raise ServiceError("not_found", MSG_NOT_FOUND)  # another tab was first
        await self._stats.record_best_effort(entry.ended_at, counters, entry.centre)  # gone either way
        action = "triage" if outcome == "recorded" else "triage_skip"
        await self._audit.record(staff.id, action, entry.id, centres=[entry.centre])
        await self._notify.to_staff(staff.id, "triage_done", {"id": entry.id, "outcome": outcome})

    async def do_triage(self, staff: Staff, triage_id: str, form: object) -> bool:
        """Save the triage of ``staff``'s ended chat: aggregate counters on the day it
        ended, the entry removed, ``triage_done`` to the operator's consoles. Returns
        whether the duty to report applies. ``invalid`` (the entry stays), ``not_found``
        (no such entry of theirs, or already saved or skipped)."""
        entry = await self._entry_of(staff, triage_id)
        checked = triage.validate(form, i18n.SUPPORTED)
        age = checked.get("age_band") or entry.marks.age_band or entry.age_band
        duty = triage.report_duty(age, (*checked["categories"], *entry.marks.categories), entry.topic)
        await self._record(staff, entry, triage.counters(checked), "recorded")
        return duty

    async def do_skip(self, staff: Staff, triage_id: str, reason: object) -> None:
        """Skip the triage of ``staff``'s ended chat with a reason (counted as
        ``triage:skipped`` and ``triage_skip:<reason>``). ``invalid``, ``not_found``."""
        entry = await self._entry_of(staff, triage_id)
        await self._record(staff, entry, triage.skip_counters(triage.skip_reason(reason)), "skipped")
