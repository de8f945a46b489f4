"""Routing: which on-duty operator gets which waiting chat.

The decision is a pure function (:func:`plan`) over plain snapshots, so its promises
can be checked directly with property-based tests: no operator is given more chats
than their maximum, chats are served in queue order (urgent, under 18, longest
waiting), and a chat past the language fallback is never left waiting while any
operator who takes its audience has room, so no chat starves.

Rules:

* An operator is a candidate for a chat when they are on duty, connected, below
  their ``max_chats`` (active chats plus pending offers) and belong to the chat's
  centre (issue 19: each centre's chats go to its own staff only).
* Skills: the chat's language among the operator's languages, and the audience
  (``individual`` for visitors asking for themselves or someone else, ``professional``
  for professional consultation) among the operator's audiences.
* The audience is a requirement (an operator may only ``accept`` chats of the audiences
  they take). Before ``language_fallback_s`` only operators who also speak the chat's
  language are candidates. After it, any operator with the audience and room is; one
  who does not speak the language gets the chat flagged ``interpreter_needed``.
  Operators who speak it are still preferred. A chat whose audience nobody on duty
  takes waits for someone who does.
* In ``auto`` mode the chosen operator gets an *offer*; an offer not accepted within
  ``offer_timeout_s`` (or declined) goes to the next candidate. Operators who let an
  offer pass are skipped for that chat until everyone suitable has passed, then the
  round starts over (so a chat with only one possible operator is offered again).
* In ``pick`` mode operators pick from the queue; only the maximum is enforced.

:class:`~chat_server.services.router.Router` applies the plan to the live store and
also watches operators' connections: an operator whose sockets have all been gone for
``operator_grace_s`` is taken off duty and their chats go back to the head of the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .domain import Conversation
from .errors import N_

MODES = ("auto", "pick")
AUDIENCES = ("individual", "professional")
#: The operator skill a chat needs (not the visitor's own ``audience``).
OperatorAudience = Literal["individual", "professional"]
MSG_AT_MAXIMUM = N_("You already have as many chats as you can take.")


def operator_audience(visitor_audience: str | None) -> OperatorAudience:
    """The operator skill a visitor's audience needs."""
    return "professional" if visitor_audience == "professional" else "individual"


# --- pure decision ---------------------------------------------------------------------
@dataclass(frozen=True)
class OperatorState:
    """One on-duty, connected operator as the router sees them."""

    id: str
    languages: frozenset[str]
    audiences: frozenset[str]
    max_chats: int
    load: int  # active chats + pending offers
    idle_since: int = 0  # ms; the longest idle operator is preferred on ties
    centres: frozenset[str] = frozenset({"default"})  # the centres they work in


@dataclass(frozen=True)
class WaitingChat:
    """One waiting chat, in queue order."""

    id: str
    locale: str
    audience: str  # operator audience: individual | professional
    waiting_since: int  # ms
    offered_to: str | None = None  # current pending offer
    passed: frozenset[str] = frozenset()  # operators who let an offer pass
    centre: str = "default"  # the centre whose queue it waits in


@dataclass(frozen=True)
class Assignment:
    chat_id: str
    operator_id: str
    interpreter_needed: bool


@dataclass(frozen=True)
class RoutingPolicy:
    language_fallback_ms: int
    mode: str = "auto"


def needs_interpreter(locale: str, languages: Iterable[str]) -> bool:
    """Does a chat in ``locale`` need an interpreter with a counsellor who has
    ``languages`` (their languages on duty, else their account's)? The one rule for
    routing, accept and transfer: whoever has the chat decides ``interpreter_needed``."""
    return locale not in set(languages)


def skilled(op: OperatorState, chat: WaitingChat) -> bool:
    """Speaks the chat's language and takes its audience."""
    return chat.locale in op.languages and chat.audience in op.audiences


def eligible(op: OperatorState, chat: WaitingChat, now: int, policy: RoutingPolicy) -> bool:
    """May ``op`` be given ``chat`` now (ignoring capacity)? The centre and the
    audience always, the language until the fallback."""
    if chat.centre not in op.centres or chat.audience not in op.audiences:
        return False
    return chat.locale in op.languages or now - chat.waiting_since >= policy.language_fallback_ms


def _rank(op: OperatorState, chat: WaitingChat) -> tuple[int, int, int, str]:
    return (
        0 if chat.locale in op.languages else 1,
        op.load,
        op.idle_since,
        op.id,
    )


def plan(queue: list[WaitingChat], operators: list[OperatorState], now: int, policy: RoutingPolicy) -> list[Assignment]:
    """New offers to make, greedily in queue order.

    Chats that already have a pending offer keep it (their operator's load already
    counts it). A chat no candidate can take right now is skipped, so it does not block
    later chats that others can serve.
    """
    load = {op.id: op.load for op in operators}
    out: list[Assignment] = []
    for chat in queue:
        if chat.offered_to is not None:
            continue
        candidates = [op for op in operators if load[op.id] < op.max_chats and eligible(op, chat, now, policy)]
        if not candidates:
            continue
        fresh = [op for op in candidates if op.id not in chat.passed]
        # Everyone suitable has let it pass: start a new round rather than starve it.
        pool = fresh or candidates
        best = min(pool, key=lambda op: _rank(op, chat))
        load[best.id] += 1
        out.append(Assignment(chat.id, best.id, needs_interpreter(chat.locale, best.languages)))
    return out


def waiting_chat(conv: Conversation) -> WaitingChat:
    """The router's view of a waiting conversation."""
    return WaitingChat(
        conv.id,
        conv.locale,
        operator_audience(conv.audience),
        int(conv.waiting_since),
        conv.offer.staff_id if conv.offer else None,
        frozenset(conv.passed),
        conv.centre,
    )
