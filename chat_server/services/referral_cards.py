"""Referral cards: what a visitor (and, in their own language, the counsellor) reads
about a receiver of the directory.

A card tells the visitor, in their language, what the service does, how to reach it
(every number, address and link printed in full, with the directory's note such as
"switchboard"), when it is open, which languages it offers, what they can say and what
rights they have. The explanations are generic per kind of service (gettext msgids
below, so every locale translates them); the receiver adds only its name and contact
data. The receiver's shape is here too (services/referrals.py validates and stores it),
so that services/messages.py can render a stored referral record for any reader
without importing the directory.
"""

from __future__ import annotations

from typing import TypedDict

from .errors import N_
from .events import Translator

# Text sets: what / say / rights, chosen by a receiver's ``text`` (default: its type).
TEXTS: dict[str, dict[str, str]] = {
    "social_services": {
        "what": N_(
            "Social services in your municipality give support and protection to children, "
            "young people and adults who are exposed to violence, threats or control, for "
            "example counselling or a safe place to live."
        ),
        "say": N_(
            'You can say: "I need to talk to a social worker about violence or control in '
            'my family." You can ask for an interpreter.'
        ),
        "rights": N_(
            "You have the right to be listened to and to get support. If you are under 18, "
            "social services must look into your situation. An interpreter is free of charge."
        ),
    },
    "police": {
        "what": N_(
            "The police take reports of crimes and can help protect you. For anything that is "
            "not an emergency, call 114 14."
        ),
        "say": N_(
            'You can say: "I want to report a crime" or "I need advice about protection." '
            "You can ask for an interpreter."
        ),
        "rights": N_(
            "You have the right to an interpreter. If you report a crime you may get a lawyer "
            "or a support person free of charge."
        ),
    },
    "healthcare": {
        "what": N_(
            "1177 gives healthcare advice by phone around the clock and helps you find the right "
            "care, for example a youth clinic."
        ),
        "say": N_("You can say what has happened to your body or how you feel, and ask where to get help."),
        "rights": N_("Healthcare staff have a duty of confidentiality. You have the right to an interpreter."),
    },
    "civil_society": {
        "what": N_("A voluntary organisation that gives support, often anonymously, alongside public services."),
        "say": N_("You can tell them what you need help with. You decide how much you want to say."),
        "rights": N_("Support from voluntary organisations is free and you can stay anonymous."),
    },
    "national_helpline": {
        "what": N_("A national helpline where you can get support and advice."),
        "say": N_("You can tell them what you need help with. You decide how much you want to say."),
        "rights": N_("The call is free of charge and you can stay anonymous."),
    },
    "emergency": {
        "what": N_("Call 112 if you or someone else is in danger right now."),
        "say": N_("Say where you are and what is happening. Stay on the line."),
        "rights": N_("The call is free, also from a phone without credit. You can get help in your language."),
    },
    "bris": {
        "what": N_("BRIS supports children and young people up to 18 by phone, chat and e-mail."),
        "say": N_("You can tell them what you need help with. You decide how much you want to say."),
        "rights": N_("You can stay anonymous, and it does not cost anything."),
    },
    "kvinnofridslinjen": {
        "what": N_(
            "Kvinnofridslinjen is a national helpline for women who are exposed to threats or "
            "violence, and for people close to them. It is open around the clock."
        ),
        "say": N_("You can tell them what you need help with. You decide how much you want to say."),
        "rights": N_("The call is free of charge, does not show on the phone bill, and you can stay anonymous."),
    },
}
TYPE_LABELS = {
    "social_services": N_("Social services"),
    "police": N_("Police"),
    "healthcare": N_("Healthcare"),
    "civil_society": N_("Civil society organisation"),
    "national_helpline": N_("National helpline"),
}
CHANNEL_LABELS = {
    "phone": N_("Call"),
    "web": N_("Website"),
    "chat": N_("Chat"),
    "visit": N_("Visit"),
    "email": N_("E-mail"),
}
HOURS_TEXTS = {
    "always": N_("Open around the clock."),
    "office": N_("Open on weekdays during office hours."),
}


#: Channel notes the directory writes in Swedish and every locale translates (other
#: notes are the directory's own words, shown as they are).
NOTE_TEXTS = {
    "växel": N_("switchboard"),
    "switchboard": N_("switchboard"),
}
#: For a number that goes to a switchboard: who to ask for (the receiver's name, in
#: Swedish, because that is what the switchboard understands).
MSG_SWITCHBOARD = N_("The number goes to a switchboard. Ask to be put through to: {name}")


class _AreaKind(TypedDict):
    kind: str  # national | municipality | region


class Area(_AreaKind, total=False):
    name: str
    code: str
    county: str


class _ChannelValue(TypedDict):
    kind: str  # one of CHANNELS
    value: str


class ReceiverChannel(_ChannelValue, total=False):
    note: str


class Receiver(TypedDict):
    """One receiver of the directory, as stored (format: docs/protocol.md)."""

    id: str
    type: str
    text: str
    name: str
    area: Area
    channels: list[ReceiverChannel]
    hours: str
    languages: list[str]
    notes: str
    verify: bool


class Channel(TypedDict):
    """One way to reach a receiver: ``value`` printed in full (a number, an address, a
    link), ``label`` the translated kind, ``note`` the directory's note ("" if none)."""

    kind: str
    value: str
    label: str
    note: str


class Card(TypedDict):
    """A referral card as a reader receives it (docs/protocol.md)."""

    id: str
    type: str
    type_label: str
    name: str
    what: str
    how: list[Channel]
    hours: str
    say: str
    switchboard: str
    rights: str
    languages: list[str]
    national: bool


def card(receiver: Receiver, locale: str, translate: Translator) -> Card:
    """One referral card for ``receiver`` in ``locale`` (shape: docs/protocol.md).

    Everything the directory holds for a visitor is on it: each channel's full value
    and note, the opening hours (known keys translated, free text as written), the
    languages the receiver offers (locale codes; clients name them), and for a number
    that goes to a switchboard whom to ask for. Staff-only ``notes`` and ``verify``
    never are."""

    def t(msgid: str, **params: str) -> str:
        return str(translate(locale, msgid, **params))

    def note(raw: str) -> str:
        key = raw.strip().lower()
        return t(NOTE_TEXTS[key]) if key in NOTE_TEXTS else raw.strip()

    texts = TEXTS[receiver.get("text") or receiver["type"]]
    hours = receiver.get("hours") or ""
    how: list[Channel] = [
        {
            "kind": ch["kind"],
            "value": ch["value"],
            "label": t(CHANNEL_LABELS[ch["kind"]]),
            "note": note(ch.get("note") or ""),
        }
        for ch in receiver["channels"]
    ]
    switchboard = any(
        ch["kind"] == "phone" and (ch.get("note") or "").strip().lower() in NOTE_TEXTS for ch in receiver["channels"]
    )
    return {
        "id": receiver["id"],
        "type": receiver["type"],
        "type_label": t(TYPE_LABELS[receiver["type"]]),
        "name": receiver["name"],
        "what": t(texts["what"]),
        "how": how,
        # Free-text hours are the directory's own words (Swedish); known keys translate.
        "hours": t(HOURS_TEXTS[hours]) if hours in HOURS_TEXTS else hours,
        "say": t(texts["say"]),
        "switchboard": t(MSG_SWITCHBOARD, name=receiver["name"]) if switchboard else "",
        "rights": t(texts["rights"]),
        "languages": list(receiver.get("languages") or []),
        "national": receiver["area"]["kind"] == "national",
    }
