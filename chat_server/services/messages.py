"""Messages: posting, system notices, visitor records, history, typing.

Text is encrypted under the conversation's key before it reaches the store and
decrypted only to be rendered for a reader. A message record is built in one place,
:meth:`~chat_server.services.domain.StoredMessage.new`. Who receives a message is
decided by services/recipients.py: a staff-only note goes to the staff participants,
everything else to everyone.

*Visitor records* (:data:`RECORD_TEXTS`: referral cards, a follow-up code) are what the
visitor must keep beyond the moment: they are system messages of the log like any other
(encrypted under the conversation's key, destroyed with it) and so reach the visitor in
``history`` after a resume, once, in order. Live, the visitor gets them as their own
event (``referral``, ``followup_code``) carrying the record's ``id``, and staff as a
``message`` in their language, which never shows the code; a referral record carries
its ``cards`` for staff too, rendered in each reader's language from the receivers as
they were sent (services/referral_cards.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal, TypedDict

from .. import i18n
from ..security.crypto import ConversationCipher
from .domain import Conversation, Sender, Staff, StoredMessage, VisitorSession
from .errors import MSG_CONFLICT, MSG_FORBIDDEN, MSG_NO_CONVERSATION, MSG_NOT_FOUND, N_, ServiceError
from .events import Payload, Translator
from .observer import Observer
from .recipients import Notify
from .referral_cards import Receiver, card
from .repository import Repository

log = logging.getLogger(__name__)

SystemCode = Literal["operator_joined", "operator_left", "transferred", "followup_summary", "interpreter"]
RecordCode = Literal["referral", "followup_code"]
SYSTEM_TEXTS: dict[str, str] = {
    "operator_joined": N_("{name} has joined the chat."),
    "operator_left": N_("{name} had to leave. You are back in the queue."),
    "transferred": N_("You are being transferred to a colleague."),
    # Staff-only note when a returning visitor enters a follow-up code (a family member
    # may have found it: the counsellor is asked not to take the holder for the visitor).
    "followup_summary": N_(
        "Someone entered a follow-up code from a conversation on {date}. A code shows only that "
        "someone has it, not who they are: let the visitor tell their story first. The earlier "
        "summary: {summary}"
    ),
    # The counsellor now in the chat does not have the visitor's language among theirs
    # (services/lifecycle.py, services/supervision.py). Worded for any counsellor.
    "interpreter": N_("The counsellor writes in Swedish or English and may bring in an interpreter."),
}
#: What staff read instead of the visitor's text, for system messages that speak to the
#: visitor about the counsellor.
STAFF_SYSTEM_TEXTS: dict[str, str] = {
    "interpreter": N_(
        "The visitor was told, in their language, that the counsellor writes in Swedish or English "
        "and may bring in an interpreter."
    ),
}
#: Visitor records: (the visitor's text, shown by clients that do not know the record;
#: the staff's text). Parameters: ``names`` (the receivers' names, as a list in the
#: reader's language), ``code``.
RECORD_TEXTS: dict[str, tuple[str, str]] = {
    "referral": (
        N_("The counsellor has shared places that can help you: {names}."),
        N_("Referral cards sent: {names}."),
    ),
    "followup_code": (
        N_("Your code to continue later: {code}"),
        N_("The visitor was given a code to continue later."),
    ),
}

# ``from`` is a keyword, hence the functional form. Staff also get conversation_id,
# and internal / staff_id where they apply; system messages carry ``code``.
MessageOut = TypedDict(
    "MessageOut",
    {
        "id": str,
        "client_id": str | None,
        "from": Sender,
        "ts": int,
        "text": str,
        "code": str,
        "conversation_id": str,
        "internal": bool,
        "staff_id": str,
        "cards": list[Any],
        "followup": dict[str, Any],
    },
    total=False,
)


class MessageAck(TypedDict):
    id: str
    ts: int


class Messages:
    def __init__(self, repo: Repository, notify: Notify, translate: Translator, observer: Observer) -> None:
        self._repo = repo
        self._notify = notify
        self._t = translate
        self._observer = observer

    # --- posting ----------------------------------------------------------------------
    async def do_visitor_message(self, sess: VisitorSession, client_id: str, text: str) -> MessageAck:
        """A visitor's message (waiting or active). ``no_conversation`` before ``start``,
        ``conflict`` once the conversation has ended. A resend with the same
        ``client_id`` returns the first message's id and ts and is not delivered again."""
        if not sess.conversation_id:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        found = await self._repo.get_live_with_cipher(sess.conversation_id)
        if found is None:
            raise ServiceError("conflict", MSG_CONFLICT)
        conv, cipher = found
        return await self.post(conv, cipher, "visitor", None, client_id, text)

    async def do_operator_message(
        self, staff: Staff, conversation_id: str, client_id: str, text: str, internal: bool = False
    ) -> MessageAck:
        """A message from the assigned operator or an invited colleague (interpreter,
        supervisor who joined). ``internal``: a staff-only note, never sent to the
        visitor. ``not_found`` for an unknown or ended chat, ``forbidden`` for anyone
        else (observers included)."""
        found = await self._repo.get_live_with_cipher(conversation_id)
        if found is None:
            raise ServiceError("not_found", MSG_NOT_FOUND)
        conv, cipher = found
        if not conv.may_write(staff.id):
            check_visible(staff, conv)
            raise ServiceError("forbidden", MSG_FORBIDDEN)
        return await self.post(conv, cipher, "operator", staff.id, client_id, text, internal)

    async def post(
        self,
        conv: Conversation,
        cipher: ConversationCipher,
        sender: Sender,
        staff_id: str | None,
        client_id: str,
        text: str,
        internal: bool = False,
        *,
        as_read: bool = False,
    ) -> MessageAck:
        """Store (deduplicated by sender and ``client_id``) and deliver a message to the
        participants of the conversation as it is after the append (:meth:`_as_now`);
        ``as_read``: to those of ``conv`` as given (a transfer's note, written after
        the change for those who were in the chat)."""
        message = StoredMessage.new(
            sender, cipher.encrypt(text), client_id=client_id, staff_id=staff_id, internal=internal
        )
        stored, created = await self._repo.append_message(conv.id, f"{sender}:{staff_id or ''}:{client_id}", message)
        if created:
            self._observer.message_relayed(sender)
            # The text is at hand: rendering need not decrypt what was just encrypted.
            await self._deliver(conv if as_read else await self._as_now(conv), stored, cipher, text)
        return {"id": stored.id, "ts": stored.ts}

    async def add_system(
        self, conv: Conversation, code: SystemCode, params: dict[str, str] | None = None, internal: bool = False
    ) -> None:
        """A system message with the parameters of its text (:data:`SYSTEM_TEXTS`),
        translated for each reader; ``internal`` keeps it for staff."""
        cipher = await self._repo.cipher(conv.id)
        message = StoredMessage.new("system", cipher.encrypt(json.dumps(params or {})), code=code, internal=internal)
        stored, _ = await self._repo.append_message(conv.id, "system:" + message.id, message)
        await self._deliver(await self._as_now(conv), stored, cipher)

    async def add_record(
        self, conv: Conversation, code: RecordCode, params: dict[str, Any], event: str, payload: Payload
    ) -> str:
        """Store a visitor record (:data:`RECORD_TEXTS`) with ``params`` and deliver it:
        the visitor gets ``event`` with ``payload``, the record's ``id`` and its ``ts``
        (ms; where it belongs among the messages), the staff
        participants the record as ``message`` in their locale. Returns its id."""
        cipher = await self._repo.cipher(conv.id)
        message = StoredMessage.new("system", cipher.encrypt(json.dumps(params)), code=code)
        stored, _ = await self._repo.append_message(conv.id, "system:" + message.id, message)
        conv = await self._as_now(conv)
        await self._notify.send(conv, "visitor", event, {**payload, "id": stored.id, "ts": stored.ts})
        await self._notify.send(
            conv, "staff", "message", {}, lambda locale: self.render(stored, conv, False, locale, cipher)
        )
        return stored.id

    async def _as_now(self, conv: Conversation) -> Conversation:
        """The conversation as it is now that a message is in its log, to address it.

        ``conv`` was read before the append. An accept, transfer or invite written in
        between (on any process) hands the chat to someone who read the log before this
        message was in it: addressed by the old record, they would never see it live. Read
        after the append, a change is seen here, or else it was written after the append
        and the new participant's history holds the message (the console keeps a message
        once by its id). A chat already gone keeps the record as read."""
        now = await self._repo.get(conv.id)
        return conv if now is None or now.version == conv.version else now

    async def _deliver(
        self, conv: Conversation, stored: StoredMessage, cipher: ConversationCipher, text: str | None = None
    ) -> None:
        await self._notify.send(
            conv,
            "staff" if stored.internal else "everyone",
            "message",
            self.render(stored, conv, True, conv.locale, cipher, text),
            lambda locale: self.render(stored, conv, False, locale, cipher, text),
        )

    # --- reading ----------------------------------------------------------------------
    def render(
        self,
        message: StoredMessage,
        conv: Conversation,
        for_visitor: bool,
        locale: str,
        cipher: ConversationCipher,
        text: str | None = None,
    ) -> MessageOut:
        """The ``message`` payload for one reader (docs/protocol.md)."""
        out: MessageOut = {"id": message.id, "client_id": message.client_id, "from": message.sender, "ts": message.ts}
        if message.sender == "system":
            params = json.loads(cipher.decrypt(message.enc))
            code = message.code or ""
            out["code"] = code
            if code in RECORD_TEXTS:
                self._render_record(out, code, params, for_visitor, locale)
            else:
                text_id = SYSTEM_TEXTS.get(code, code) if for_visitor else STAFF_SYSTEM_TEXTS.get(code)
                out["text"] = self._t(locale, text_id or SYSTEM_TEXTS.get(code, code), **params)
        else:
            out["text"] = text if text is not None else cipher.decrypt(message.enc)
        if not for_visitor:
            out["conversation_id"] = conv.id
            if message.internal:
                out["internal"] = True
            if message.staff_id:
                out["staff_id"] = message.staff_id
        return out

    def _render_record(
        self, out: MessageOut, code: str, params: dict[str, Any], for_visitor: bool, locale: str
    ) -> None:
        visitor_text, staff_text = RECORD_TEXTS[code]
        if code == "referral":
            cards = params.get("cards") or []
            names = i18n.format_list([str(c.get("name", "")) for c in cards], locale)
            out["text"] = self._t(locale, visitor_text if for_visitor else staff_text, names=names)
            receivers: list[Receiver] = params.get("receivers") or []
            if for_visitor or not receivers:
                out["cards"] = cards  # as sent (a record from an older release: also for staff)
            else:
                out["cards"] = [card(r, locale, self._t) for r in receivers]
        elif for_visitor:
            out["text"] = self._t(locale, visitor_text, code=params["code"])
            out["followup"] = {"code": params["code"], "expires_at": params["expires_at"]}
        else:
            out["text"] = self._t(locale, staff_text)  # never the code

    async def history_for_staff(self, conv: Conversation, locale: str) -> list[MessageOut]:
        """Every message so far, internal notes included, in order."""
        cipher = await self._repo.cipher(conv.id)
        return [self.render(m, conv, False, locale, cipher) for m in await self._repo.messages(conv.id)]

    async def history_if_live(self, conv: Conversation, locale: str) -> list[MessageOut] | None:
        """:meth:`history_for_staff`, or None when the conversation ended (its key
        destroyed) since ``conv`` was read: a listing of several chats (a console that
        connects or reloads) leaves that one out instead of failing as a whole."""
        try:
            return await self.history_for_staff(conv, locale)
        except ServiceError as exc:
            if exc.code != "not_found":
                raise
            return None

    async def history_for_visitor(self, conv: Conversation) -> list[MessageOut]:
        """Every message the visitor may see, in order: never a staff-only note."""
        cipher = await self._repo.cipher(conv.id)
        return [
            self.render(m, conv, True, conv.locale, cipher)
            for m in await self._repo.messages(conv.id)
            if not m.internal
        ]

    # --- typing -----------------------------------------------------------------------
    async def do_visitor_typing(self, sess: VisitorSession, active: bool) -> None:
        """Tell the staff participants; ``no_conversation`` without a live one."""
        conv = await self._repo.get_live(sess.conversation_id)
        if conv is None:
            raise ServiceError("no_conversation", MSG_NO_CONVERSATION)
        await self._notify.send(conv, "staff", "typing", {"conversation_id": conv.id, "active": active})

    async def do_operator_typing(self, staff: Staff, conversation_id: str, active: bool) -> None:
        """Tell the visitor; only the assigned operator (``not_found``/``forbidden``)."""
        conv = await require_assigned(self._repo, staff, conversation_id)
        await self._notify.send(conv, "visitor", "typing", {"active": active})


def check_visible(staff: Staff, conv: Conversation) -> None:
    """``not_found`` when ``conv`` is of a centre ``staff`` does not belong to and they
    are not in it: another centre's chat is answered as if it did not exist (issue 19)."""
    if staff.role_in(conv.centre) is None and staff.id not in conv.staff_participants():
        raise ServiceError("not_found", MSG_NOT_FOUND)


async def require_assigned(repo: Repository, staff: Staff, conversation_id: str) -> Conversation:
    """The live conversation if it is assigned to ``staff``: ``not_found`` if it does
    not exist, has ended or is of a centre they do not belong to (its existence is not
    told), ``forbidden`` if it is not theirs."""
    conv = await repo.get_live(conversation_id)
    if conv is None:
        raise ServiceError("not_found", MSG_NOT_FOUND)
    check_visible(staff, conv)
    if not conv.is_assigned_to(staff.id):
        raise ServiceError("forbidden", MSG_FORBIDDEN)
    return conv
