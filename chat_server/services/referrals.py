"""The referral directory (slussfunktion) and the cards a visitor receives.

Receivers (social services, police, healthcare, civil society, national helplines) are
one durable document, seeded from ``chat_server/data/referrals.json`` on first use and
edited by coordinators in the console. A receiver marked ``verify: true`` has not been
checked by this centre yet: the console shows "verify before use".

The cards a visitor receives are rendered by services/referral_cards.py. Only the
*type* of a referral reaches statistics.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypedDict

from ..storage.base import Durable
from .audit import Audit
from .centre_domain import DEFAULT_CENTRE, centre_namespace
from .centres import check_national_admin, check_staff_in_centre, resolve_centre
from .documents import Document, edit_document
from .domain import Staff
from .errors import MSG_INVALID, MSG_NOT_FOUND, N_, ServiceError
from .events import Translator
from .messages import Messages, require_assigned
from .referral_cards import TEXTS, TYPE_LABELS, Area, Card, Receiver, ReceiverChannel, card
from .repository import Repository
from .roles import SUPERVISORS

DOC = "referrals"
SEED = Path(__file__).resolve().parent.parent / "data" / "referrals.json"
TYPES = ("social_services", "police", "healthcare", "civil_society", "national_helpline")
CHANNELS = ("phone", "web", "chat", "visit", "email")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
MAX_RECEIVERS = 500
MSG_UNKNOWN_RECEIVER = N_("One of the chosen receivers is not in the directory.")


class InvalidReceiver(ValueError):
    """A receiver document that does not validate; the message says which field."""


def _text(value: Any, name: str, max_len: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > max_len or (required and not value.strip()):
        raise InvalidReceiver(name)
    return value.strip()


def validate_receiver(raw: Any, languages: tuple[str, ...]) -> Receiver:
    """A checked, normalised receiver record; InvalidReceiver names the bad field."""
    if not isinstance(raw, dict):
        raise InvalidReceiver("receiver")
    known = {
        "id",
        "type",
        "text",
        "name",
        "area",
        "channels",
        "hours",
        "languages",
        "notes",
        "verify",
    }
    if set(raw) - known:
        raise InvalidReceiver("unknown field")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise InvalidReceiver("id")
    kind = raw.get("type")
    if kind not in TYPES:
        raise InvalidReceiver("type")
    text = raw.get("text") or kind
    if text not in TEXTS:
        raise InvalidReceiver("text")
    area = raw.get("area") or {"kind": "national"}
    if not isinstance(area, dict) or area.get("kind") not in ("national", "municipality", "region"):
        raise InvalidReceiver("area")
    clean_area: Area = {"kind": area["kind"]}
    if area["kind"] != "national":
        clean_area["name"] = _text(area.get("name"), "area.name", 80, required=True)
        if area.get("code"):
            clean_area["code"] = _text(area.get("code"), "area.code", 40)
        if area.get("county"):
            clean_area["county"] = _text(area.get("county"), "area.county", 40)
    channels = raw.get("channels")
    if not isinstance(channels, list) or not 1 <= len(channels) <= 8:
        raise InvalidReceiver("channels")
    clean_channels: list[ReceiverChannel] = []
    for ch in channels:
        if not isinstance(ch, dict) or ch.get("kind") not in CHANNELS or set(ch) - {"kind", "value", "note"}:
            raise InvalidReceiver("channels")
        value = _text(ch.get("value"), "channel.value", 200, required=True)
        if ch["kind"] in ("web", "chat") and not value.startswith("https://"):
            raise InvalidReceiver("channel.value")
        item: ReceiverChannel = {"kind": ch["kind"], "value": value}
        if ch.get("note"):
            item["note"] = _text(ch["note"], "channel.note", 80)
        clean_channels.append(item)
    langs = raw.get("languages") or []
    if not isinstance(langs, list) or not all(isinstance(x, str) and x in languages for x in langs):
        raise InvalidReceiver("languages")
    verify = raw.get("verify", True)
    if not isinstance(verify, bool):
        raise InvalidReceiver("verify")
    return {
        "id": rid,
        "type": kind,
        "text": text,
        "name": _text(raw.get("name"), "name", 120, required=True),
        "area": clean_area,
        "channels": clean_channels,
        "hours": _text(raw.get("hours"), "hours", 200),
        "languages": sorted(set(langs)),
        "notes": _text(raw.get("notes"), "notes", 2000),
        # Unverified unless an editor says otherwise: "verify before use".
        "verify": verify,
    }


def load_seed(path: Path = SEED) -> list[object]:
    """The example receivers shipped with the server (validated when seeded)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data["receivers"])


def _in_order(receivers: list[Receiver]) -> list[Receiver]:
    """The directory's one order (national first, then by area, type and name), for the
    seed as for every save: a receiver saved unchanged leaves the document unchanged."""
    return sorted(
        receivers, key=lambda r: (r["area"]["kind"] != "national", r["area"].get("name", ""), r["type"], r["name"])
    )


class Directory:
    """The receivers: national ones in one document shared by every centre (``doc``
    ``referrals``), each centre's own in its namespace (services/centre_domain.py). A
    centre's directory is both, national first; a receiver id is unique across them.
    On first use the national document is seeded from the example data's national
    receivers, and the ``default`` centre's from its other receivers (as before centres).
    """

    def __init__(self, durable: Durable, languages: tuple[str, ...], seed: Path = SEED) -> None:
        self._durable = durable
        self._languages = languages
        self._seed = seed

    def _seeded(self, national: bool) -> list[Receiver]:
        receivers = [validate_receiver(r, self._languages) for r in load_seed(self._seed)]
        return _in_order([r for r in receivers if (r["area"]["kind"] == "national") == national])

    def _national_doc(self, doc: Document | None) -> Document:
        # A document of a release before centres not yet split (the migration runs at
        # start): only its national receivers are shared.
        if doc is None:
            return {"receivers": self._seeded(True), "national_only": True}
        national = [r for r in doc["receivers"] if r["area"]["kind"] == "national"]
        return {**doc, "receivers": national, "national_only": True}

    def _local_doc(self, centre: str, doc: Document | None) -> Document:
        if doc is None:
            return {"receivers": self._seeded(False) if centre == DEFAULT_CENTRE else []}
        return {**doc, "receivers": [r for r in doc["receivers"] if r["area"]["kind"] != "national"]}

    async def _national(self) -> list[Receiver]:
        doc = await self._durable.get_kv("doc", DOC)
        if doc is None:  # seeded on first use, once (a seed racing an edit loses)
            doc = await edit_document(self._durable, "doc", DOC, lambda d: d or self._national_doc(None))
        receivers: list[Receiver] = self._national_doc(doc)["receivers"]
        return receivers

    async def _local(self, centre: str) -> list[Receiver]:
        ns = centre_namespace(centre)
        doc = await self._durable.get_kv(ns, DOC)
        if doc is None:
            doc = await edit_document(self._durable, ns, DOC, lambda d: d or self._local_doc(centre, None))
        receivers: list[Receiver] = self._local_doc(centre, doc)["receivers"]
        return receivers

    async def all(self, centre: str = DEFAULT_CENTRE) -> list[Receiver]:
        """Every receiver a centre refers to: the national ones, then its own."""
        stored: list[Receiver] = copy.deepcopy(_in_order(await self._national() + await self._local(centre)))
        return stored

    async def get(self, receiver_id: str, centre: str = DEFAULT_CENTRE) -> Receiver | None:
        return next((r for r in await self.all(centre) if r["id"] == receiver_id), None)

    async def put(self, raw: Any, centre: str = DEFAULT_CENTRE) -> Receiver:
        """Create or replace one receiver (validated): a national one in the shared
        document, any other in ``centre``'s, by compare-and-set (services/documents.py:
        two editors saving at once both keep their receiver). InvalidReceiver (``id``)
        when the id is used by the other kind (a national id in a centre, or a national
        receiver with the id of any centre's own: it would hide that one there)."""
        receiver = validate_receiver(raw, self._languages)
        national = receiver["area"]["kind"] == "national"
        if national:  # shared by every centre: its id must be free in each of them
            centres = {str(c["id"]) for c in await self._durable.list_centres()} | {centre, DEFAULT_CENTRE}
            other = [r for c in sorted(centres) for r in await self._local(c)]
        else:
            other = await self._national()
        if any(r["id"] == receiver["id"] for r in other):
            raise InvalidReceiver("id")

        def with_receiver(doc: Document | None) -> Document:
            fresh = self._national_doc(doc) if national else self._local_doc(centre, doc)
            receivers = [r for r in fresh["receivers"] if r["id"] != receiver["id"]]
            if len(receivers) >= MAX_RECEIVERS:
                raise InvalidReceiver("too many receivers")
            return {**fresh, "receivers": _in_order([*receivers, receiver])}

        namespace = "doc" if national else centre_namespace(centre)
        await edit_document(self._durable, namespace, DOC, with_receiver)
        return receiver

    async def _remove(self, namespace: str, receiver_id: str, fresh: Callable[[Document | None], Document]) -> bool:
        removed = False

        def without(doc: Document | None) -> Document:
            nonlocal removed
            current = fresh(doc)
            kept = [r for r in current["receivers"] if r["id"] != receiver_id]
            removed = len(kept) != len(current["receivers"])
            return {**current, "receivers": kept} if removed else (doc if doc is not None else current)

        await edit_document(self._durable, namespace, DOC, without)
        return removed

    async def delete_local(self, receiver_id: str, centre: str) -> bool:
        """Remove a receiver of ``centre``; False if its directory has none."""
        return await self._remove(centre_namespace(centre), receiver_id, lambda d: self._local_doc(centre, d))

    async def delete_national(self, receiver_id: str) -> bool:
        """Remove a national receiver; False if there is none."""
        return await self._remove("doc", receiver_id, self._national_doc)

    async def is_national(self, receiver_id: str) -> bool:
        """Whether ``receiver_id`` is one of the shared national receivers."""
        return any(r["id"] == receiver_id for r in await self._national())


class TypeLabel(TypedDict):
    id: str
    label: str


class Listing(TypedDict):
    receivers: list[Receiver]
    types: list[TypeLabel]
    texts: list[str]
    channels: list[str]


class Referrals:
    """Sending referral cards to a visitor, and the directory as staff see and edit it."""

    def __init__(
        self, directory: Directory, repo: Repository, messages: Messages, translate: Translator, audit: Audit
    ) -> None:
        self._directory = directory
        self._repo = repo
        self._messages = messages
        self._t = translate
        self._audit = audit

    async def do_send(self, staff: Staff, conversation_id: str, targets: list[str]) -> list[Card]:
        """Send cards for the receivers ``targets`` to the visitor, in the visitor's
        language. They become a record of the conversation's history (services/
        messages.py), so a visitor whose connection is down gets them on resume.
        ``not_found`` for an unknown receiver (nothing is sent) or chat, ``forbidden``
        when the chat is not assigned to ``staff``. Only the *types* of the receivers
        are remembered, for the counters written when the chat ends."""
        conv = await require_assigned(self._repo, staff, conversation_id)
        receivers = []
        for rid in targets:
            # A visitor who came from another centre (overflow) is referred to the
            # services near them: their home centre's directory, then this centre's.
            receiver = await self._directory.get(rid, conv.home_centre or conv.centre)
            if receiver is None and conv.home_centre is not None:
                receiver = await self._directory.get(rid, conv.centre)
            if receiver is None:
                raise ServiceError("not_found", MSG_UNKNOWN_RECEIVER)
            receivers.append(receiver)
        cards = [card(r, conv.locale, self._t) for r in receivers]
        # The receivers as sent are kept with the cards, so that each staff reader gets
        # the same cards in their own language (services/messages.py).
        params = {"cards": cards, "receivers": receivers}
        await self._messages.add_record(conv, "referral", params, "referral", {"cards": cards})
        kinds = {r["type"] for r in receivers}
        await self._repo.change(
            conv.id, lambda c: replace(c, referral_types=tuple(sorted({*c.referral_types, *kinds})))
        )
        await self._audit.record(staff.id, "referral", conv.id, centres=[conv.centre], types=sorted(kinds))
        return cards

    async def listing(self, staff: Staff, locale: str, centre: str) -> Listing:
        """The directory of ``centre`` for the console: its receivers (the national
        ones, then its own), type labels in ``locale``, the text sets and the channel
        kinds. ``forbidden`` unless ``staff`` works in the centre or is a national admin."""
        _check_reader(staff, centre)
        return await self._listing(locale, centre)

    async def _listing(self, locale: str, centre: str) -> Listing:
        return {
            "receivers": await self._directory.all(centre),
            "types": [{"id": t, "label": self._t(locale, TYPE_LABELS[t])} for t in TYPES],
            "texts": sorted(TEXTS),
            "channels": list(CHANNELS),
        }

    async def for_chat(self, staff: Staff, conversation_id: str, locale: str) -> Listing:
        """The directory to refer a chat's visitor from: its home centre's (national
        and local services near the visitor; after an overflow not the receiving
        centre's), for the chat's assigned operator (who may work in another centre:
        being assigned the chat is what allows it). ``not_found``, ``forbidden``."""
        conv = await require_assigned(self._repo, staff, conversation_id)
        return await self._listing(locale, conv.home_centre or conv.centre)

    async def do_put(self, staff: Staff, centre: str | None, receiver_id: str, body: dict[str, Any]) -> Receiver:
        """Create or replace receiver ``receiver_id``: a national one (shared by every
        centre; national admins only) or one of ``centre`` (its supervisors and admins,
        or a national admin; None: the person's own centre, services/centres.
        resolve_centre). ``invalid`` (with the ``field``) for a document that does not
        validate or names another id, ``forbidden``."""
        if body.get("id", receiver_id) != receiver_id:
            raise ServiceError("invalid", MSG_INVALID)
        area = body.get("area")
        national = not isinstance(area, dict) or area.get("kind", "national") == "national"
        if national or await self._directory.is_national(receiver_id):
            # Shared by every centre: the national team's, never one centre's to change.
            check_national_admin(staff)
            where = DEFAULT_CENTRE if centre is None else centre
        else:
            where = resolve_centre(staff, centre)
            _check_editor(staff, where)
        try:
            receiver = await self._directory.put({**body, "id": receiver_id}, where)
        except InvalidReceiver as exc:
            raise ServiceError("invalid", MSG_INVALID, field=str(exc)) from exc
        scope = [] if national else [where]
        await self._audit.record(staff.id, "referral_directory_update", receiver["id"], centres=scope, op="put")
        return receiver

    async def do_delete(self, staff: Staff, centre: str | None, receiver_id: str) -> None:
        """Remove a receiver of ``centre`` (rights as for :meth:`do_put`) or a national
        one (national admins); ``not_found`` if the centre's directory has none (another
        centre's receiver is not found), ``forbidden``."""
        if await self._directory.is_national(receiver_id):
            check_national_admin(staff)
            deleted = await self._directory.delete_national(receiver_id)
            scope: list[str] = []
        else:
            where = resolve_centre(staff, centre)
            _check_editor(staff, where)
            deleted = await self._directory.delete_local(receiver_id, where)
            scope = [where]
        if not deleted:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        await self._audit.record(staff.id, "referral_directory_update", receiver_id, centres=scope, op="delete")


def _check_reader(staff: Staff, centre: str) -> None:
    """Any role in the centre, or a national admin: ``forbidden`` otherwise."""
    if not staff.national_admin:
        check_staff_in_centre(staff, centre)


def _check_editor(staff: Staff, centre: str) -> None:
    """A supervisor or admin of the centre, or a national admin: ``forbidden`` otherwise."""
    if not staff.national_admin:
        check_staff_in_centre(staff, centre, SUPERVISORS)
