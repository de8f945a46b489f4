"""Judging the soak's records (soak_records.py): what was lost, duplicated, out of order.

Pure functions over the records, run in the load generator after the soak. Each fault
names the conversation, the message (its client_id and server id), who sent it and
when, and what the other side received, so that a developer can replay it.

The rules (docs/protocol.md; DESIGN.md promise 4, issue 14):

* Every message acknowledged ``ok`` reaches the visitor (live on the connection of the
  moment, or in the ``history`` of a later resume) unless it is a staff-only note, and
  reaches the staff member holding the chat when it was sent, every colleague that
  holder's console shows as invited, and the holder at the end (in the history of
  ``assigned``, or live).
* Nothing is delivered twice in one view, and one client_id is stored once: every copy
  of it has the id of its acknowledgement.
* Each sender's messages appear in the order they were sent (the soak sends one at a
  time per sender, waiting for each ack).
* Staff receive a chat's messages only while the holder's console shows them in it.
* The conversation ends only when and how the soak ended it, and both sides hear it.
* Referral cards and follow-up codes acknowledged to staff reach the visitor, live or
  in the history after a resume; typing shown to staff is cleared when the visitor's
  connection drops.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from .soak_records import ConvRecord, Fault, Seen, Sent, Tenure

# Kinds of fault, with the sentence the report prints. Every one fails the soak.
KINDS = {
    "message_lost": "acknowledged message never reached a side",
    "message_duplicated": "message delivered twice in one view, or stored twice",
    "message_redelivered": "message received live again on a connection whose history already had it (or the reverse)",
    "message_out_of_order": "a sender's messages received in another order than sent",
    "message_altered": "message text received differs from the text sent",
    "message_refused": "message refused although the conversation was live and the sender entitled",
    "conversation_lost": "live conversation not re-attached on resume",
    "conversation_stuck": "conversation never accepted, or a transfer never arrived",
    "conversation_duplicated": "two `start` at once on one connection created two conversations",
    "start_after_cut": "a conversation started just before its connection was cut is shown connected",
    "conversation_ended_unexpectedly": "conversation ended without the soak ending it",
    "end_not_delivered": "a side never heard that the conversation ended",
    "end_refused": "an end refused although the chat was live and the sender entitled",
    "resumed_after_exit": "a quick exit's resume token still re-attached something",
    "stale_release": "a `released` arrived after the same staff member was assigned the chat again",
    "above_maximum": "an operator held more chats than their maximum",
    "staff_not_shown_received": "a staff member received a chat's messages while not shown as taking part",
    "referral_lost": "referral cards acknowledged to staff never reached the visitor",
    "followup_code_lost": "follow-up code acknowledged to staff never reached the visitor",
    "typing_left_over": "typing shown to staff not cleared when the visitor's connection dropped",
    "offer_for_away_visitor": "a chat offered while its visitor's connection was gone",
    "left_in_store": "an ended conversation left keys in the ephemeral store",
    "soak_error": "the soak itself failed (timeout or exception in a conversation)",
}
# What "lost, duplicated or out of order" means in the summary line.
LOSS_KINDS = ("message_lost", "message_duplicated", "message_out_of_order", "conversation_lost")

Who = Callable[[str], str]


def views(rec: ConvRecord, who: Who) -> Iterator[tuple[str, list[Seen]]]:
    """Every list of messages one client received, with a name for the report."""
    for c in rec.conns:
        if c.history is not None:
            yield f"visitor connection #{c.n} (P{c.process}) history", c.history
        yield f"visitor connection #{c.n} (P{c.process}) live", c.live
    for i, t in enumerate(rec.tenures):
        yield f"{who(t.staff_id)} tenure {i + 1} ({t.role}, {t.how}) history", t.history
        yield f"{who(t.staff_id)} tenure {i + 1} ({t.role}, {t.how}) live", t.live
        for k, resync in enumerate(t.resyncs):
            yield f"{who(t.staff_id)} tenure {i + 1} ({t.role}, {t.how}) after reconnect {k + 1}", resync


def describe_sent(s: Sent, who: Who) -> str:
    sender = "visitor" if s.by == "visitor" else who(s.by)
    ack = f"ack {s.ack_id} at {s.ack_t:.2f}s" if s.ack_id and s.ack_t is not None else f"refused {s.refused}"
    extra = " (internal note)" if s.internal else ""
    retry = f", {s.attempts} attempts (first ack lost with the connection)" if s.first_unacked else ""
    return f"client_id {s.client_id} sent by {sender} at {s.t:.2f}s, {ack}{extra}{retry}"


def _ids(seen: list[Seen]) -> list[str]:
    return [m.id for m in seen]


def _around(seen: list[Seen], t: float) -> str:
    """What a view received just before and after a moment."""
    before = [m for m in seen if m.t <= t][-2:]
    after = [m for m in seen if m.t > t][:2]

    def fmt(ms: list[Seen]) -> str:
        return ", ".join(f"{m.client_id or m.code or m.id}@{m.t:.2f}s" for m in ms) or "nothing"

    return f"before: {fmt(before)}; after: {fmt(after)}"


def describe_visitor(rec: ConvRecord, t: float) -> list[str]:
    out = []
    for c in rec.conns:
        cut = f"cut at {c.t_cut:.2f}s ({c.cut})" if c.t_cut is not None else "open to the end"
        hist = (
            f"history at {c.t_history:.2f}s with {len(c.history)} messages"
            if c.history is not None and c.t_history is not None
            else "no history"
        )
        out.append(
            f"  visitor connection #{c.n} on P{c.process} opened {c.t_open:.2f}s, {cut}, "
            f"{'resumed, ' if c.resumed else ''}{hist}, {len(c.live)} live ({_around(c.live, t)})"
        )
    return out


def describe_tenure(tenure: Tenure, who: Who, t: float) -> str:
    end = f"until {tenure.t_end:.2f}s ({tenure.end})" if tenure.t_end is not None else "to the end"
    return (
        f"  {who(tenure.staff_id)} {tenure.role} via {tenure.how} from {tenure.t_start:.2f}s {end}: "
        f"history {len(tenure.history)}, live {len(tenure.live)} ({_around(tenure.live, t)})"
        + "".join(f", after reconnect {len(r)}" for r in tenure.resyncs)
    )


def check_duplicates(rec: ConvRecord, who: Who) -> list[Fault]:
    out = []
    for name, seen in views(rec, who):
        for mid, n in Counter(_ids(seen)).items():
            if n > 1:
                m = next(x for x in seen if x.id == mid)
                out.append(
                    Fault(
                        "message_duplicated",
                        rec.id,
                        f"{m.client_id or m.code} (id {mid}, from {m.sender}) delivered {n} times in {name}",
                    )
                )
    # One client_id, one stored message: every copy carries the ack's id.
    ours = {s.client_id: s for s in rec.sent}
    ids: dict[str, set[str]] = {}
    for _name, seen in views(rec, who):
        for m in seen:
            if m.client_id in ours and m.sender != "system":
                ids.setdefault(m.client_id, set()).add(m.id)
    for s in rec.sent:
        if s.ack_id:
            ids.setdefault(s.client_id, set()).add(s.ack_id)
    for cid, found in ids.items():
        if len(found) > 1:
            out.append(
                Fault(
                    "message_duplicated",
                    rec.id,
                    f"{cid} stored as {len(found)} messages: {sorted(found)}",
                    [describe_sent(ours[cid], who)],
                )
            )
    # A resume: history, then live. The same message both ways reaches a client twice.
    for c in rec.conns:
        if c.history is None:
            continue
        in_history = set(_ids(c.history))
        for k, m in enumerate(c.live):
            if m.id in in_history:
                when = "before" if k < c.live_before_history else "after"
                out.append(
                    Fault(
                        "message_redelivered",
                        rec.id,
                        f"{m.client_id or m.code} (id {m.id}) arrived live at {m.t:.2f}s {when} the history "
                        f"(at {c.t_history:.2f}s) that contains it, on visitor connection #{c.n} (P{c.process})",
                    )
                )
    for i, t in enumerate(rec.tenures):
        in_history = set(_ids(t.history))
        for m in t.live:
            if m.id in in_history:
                out.append(
                    Fault(
                        "message_redelivered",
                        rec.id,
                        f"{m.client_id or m.code} (id {m.id}) arrived live at {m.t:.2f}s after the history of "
                        f"{who(t.staff_id)}'s tenure {i + 1} that contains it",
                    )
                )
    return out


def check_order(rec: ConvRecord, who: Who) -> list[Fault]:
    """Per sender, the messages of a view keep the order they were sent in."""
    ours = {s.client_id: s for s in rec.sent if not s.first_unacked}
    lists: list[tuple[str, list[Seen]]] = []
    for c in rec.conns:
        if c.history is not None:
            lists.append((f"visitor connection #{c.n} (P{c.process}) history", c.history))
        lists.append((f"visitor connection #{c.n} (P{c.process}) live", c.live))
    for i, t in enumerate(rec.tenures):
        lists.append((f"{who(t.staff_id)} tenure {i + 1} history+live", [*t.history, *t.live]))
        lists += [(f"{who(t.staff_id)} tenure {i + 1} after reconnect", r) for r in t.resyncs]
    out = []
    for name, seen in lists:
        last: dict[str, Sent] = {}
        done: set[str] = set()
        for m in seen:
            s = ours.get(m.client_id or "")
            if s is None or m.sender == "system" or m.id in done:
                continue  # a second copy is a duplicate (check_duplicates), not disorder
            done.add(m.id)
            prev = last.get(s.by)
            if prev is not None and s.n < prev.n:
                out.append(
                    Fault(
                        "message_out_of_order",
                        rec.id,
                        f"in {name}: {s.client_id} (sent {s.t:.2f}s) after {prev.client_id} (sent {prev.t:.2f}s)",
                        [describe_sent(prev, who), describe_sent(s, who)],
                    )
                )
            if prev is None or s.n > prev.n:
                last[s.by] = s
    return out


def check_text(rec: ConvRecord, who: Who) -> list[Fault]:
    ours = {s.client_id: s for s in rec.sent}
    out = []
    for name, seen in views(rec, who):
        for m in seen:
            s = ours.get(m.client_id or "")
            if s is not None and m.sender != "system" and m.text != s.text:
                out.append(
                    Fault(
                        "message_altered",
                        rec.id,
                        f"{s.client_id} in {name}: received {m.text[:40]!r}, sent {s.text[:40]!r}",
                    )
                )
    return out


def _view_ids(t: Tenure) -> set[str]:
    return {m.id for view in (t.history, t.live, *t.resyncs) for m in view}


def check_loss(rec: ConvRecord, who: Who) -> list[Fault]:
    out = []
    visitor_ids = {m.id for c in rec.conns for m in [*(c.history or []), *c.live]}
    final = next((t for t in reversed(rec.tenures) if t.role == "holder"), None)
    for s in rec.sent:
        if not s.ack_id or s.ack_t is None:
            continue
        if not s.internal and s.ack_id not in visitor_ids:
            out.append(
                Fault(
                    "message_lost",
                    rec.id,
                    f"visitor never received {s.client_id} (id {s.ack_id}) from "
                    f"{'the visitor' if s.by == 'visitor' else who(s.by)}",
                    [describe_sent(s, who), "what the visitor received:", *describe_visitor(rec, s.ack_t)],
                )
            )
        expected: list[Tenure] = []
        if s.tenure is not None:
            holder = rec.tenures[s.tenure]
            # Not after the holder's console lost the chat (gone past the operator grace).
            if holder.t_end is None or s.ack_t <= holder.t_end:
                expected.append(holder)
            for t in rec.tenures:
                if (
                    t.role == "invited"
                    and t.staff_id in holder.shown
                    and t.t_start <= s.t
                    and (t.t_end is None or s.ack_t <= t.t_end)
                ):
                    expected.append(t)
        if final is not None and final.t_start <= (rec.t_end or s.ack_t) and final not in expected:
            if final.t_end is None or final.end is None or final.end.startswith("ended:"):
                expected.append(final)
        for t in expected:
            if s.ack_id not in _view_ids(t):
                out.append(
                    Fault(
                        "message_lost",
                        rec.id,
                        f"{who(t.staff_id)} ({t.role}) never received {s.client_id} (id {s.ack_id}) from "
                        f"{'the visitor' if s.by == 'visitor' else who(s.by)}",
                        [describe_sent(s, who), "what that staff member received:", describe_tenure(t, who, s.ack_t)],
                    )
                )
    return out


def check_end(rec: ConvRecord, who: Who) -> list[Fault]:
    if rec.ended_by is None or not rec.conns:
        return []
    out = []
    last = rec.conns[-1]
    reasons = {rec.ended_by, rec.ended_by_also} - {None}
    # An abandoned visitor is gone: only the staff side hears of the end.
    if rec.ended_by != "abandoned" and not any(reason in reasons for _t, reason in last.ended):
        out.append(
            Fault(
                "end_not_delivered",
                rec.id,
                f"visitor never got ended {{reason: {rec.ended_by}}} (got {last.ended or 'nothing'})",
                describe_visitor(rec, rec.t_end or 0.0),
            )
        )
    for t in rec.tenures:
        if t.t_end is None or t.end is None or (t.end.startswith("ended:") and t.end[len("ended:") :] not in reasons):
            if t.end is not None and t.end.startswith("released:"):
                continue
            out.append(
                Fault(
                    "end_not_delivered",
                    rec.id,
                    f"{who(t.staff_id)} ({t.role}) never got ended {{reason: {rec.ended_by}}} (got {t.end})",
                    [describe_tenure(t, who, rec.t_end or 0.0)],
                )
            )
    return out


def check_shown(rec: ConvRecord, who: Who) -> list[Fault]:
    """Staff get a chat's messages only while its holder's console shows them in it."""
    ours = {s.client_id: s for s in rec.sent}
    out = []
    for t in rec.tenures:
        if t.role != "invited":
            continue
        for m in t.live:
            s = ours.get(m.client_id or "")
            if s is None or s.tenure is None:
                continue
            holder = rec.tenures[s.tenure]
            if holder.staff_id != t.staff_id and t.staff_id not in holder.shown:
                out.append(
                    Fault(
                        "staff_not_shown_received",
                        rec.id,
                        f"{who(t.staff_id)} received {s.client_id} at {m.t:.2f}s while {who(holder.staff_id)} "
                        f"held the chat and was not shown {who(t.staff_id)} in it",
                        [describe_sent(s, who), describe_tenure(holder, who, m.t), describe_tenure(t, who, m.t)],
                    )
                )
    for staff_id, m in rec.stray:
        if m.sender == "system" or rec.broken:
            continue  # in a broken conversation, a consequence of the fault already reported
        out.append(
            Fault(
                "staff_not_shown_received",
                rec.id,
                f"{who(staff_id)} received {m.client_id} (id {m.id}) at {m.t:.2f}s outside any time in the chat "
                "(after released/ended, or never assigned)",
            )
        )
    return out


def check_typing(rec: ConvRecord, who: Who) -> list[Fault]:
    out = []
    for d in rec.drops:
        if not d.typing_before or d.holder is None:
            continue
        until = d.t_resume if d.t_resume is not None else (rec.t_end or d.t)
        shown = [active for t, active in rec.typing.get(d.holder, []) if t <= until]
        if shown and shown[-1]:
            out.append(
                Fault(
                    "typing_left_over",
                    rec.id,
                    f"{who(d.holder)} still shown the visitor typing at {until:.2f}s: the visitor sent "
                    f"typing {{active: true}} and its connection was cut ({d.kind}) at {d.t:.2f}s",
                )
            )
    return out


def check_extras(rec: ConvRecord, who: Who) -> list[Fault]:
    """Referral cards and follow-up codes reach the visitor, live or after a resume."""
    out = []
    for r in rec.referrals:
        live = sum(1 for c in rec.conns for t, ids in c.referrals if t >= r.t - 1 and ids == r.cards)
        in_history = [c.n for c in rec.conns for ids in c.history_referrals if ids == r.cards]
        if not live and not in_history:
            out.append(
                Fault(
                    "referral_lost",
                    rec.id,
                    f"cards {r.cards} sent by {who(r.by)} at {r.t:.2f}s "
                    f"({'while the visitor was away' if r.during_drop else 'visitor connected'}) never reached "
                    "the visitor",
                    describe_visitor(rec, r.t),
                )
            )
    for t_sent, during_drop in rec.followups:
        if not any(t >= t_sent - 1 for c in rec.conns for t, _code in c.followup_codes):
            out.append(
                Fault(
                    "followup_code_lost",
                    rec.id,
                    f"follow-up code issued at {t_sent:.2f}s "
                    f"({'while the visitor was away' if during_drop else 'visitor connected'}) never reached the "
                    "visitor",
                    describe_visitor(rec, t_sent),
                )
            )
    return out


def check_conversation(rec: ConvRecord, who: Who) -> list[Fault]:
    """Every fault of one conversation (those found while it ran, then these checks)."""
    out = list(rec.faults)
    if not rec.id:
        return out
    out += check_duplicates(rec, who)
    out += check_order(rec, who)
    out += check_text(rec, who)
    out += check_shown(rec, who)
    out += check_typing(rec, who)
    if not rec.broken:
        out += check_loss(rec, who)
        out += check_end(rec, who)
        out += check_extras(rec, who)
    for f in out:
        f.conversation = f.conversation or rec.id
    return out


def tally(records: list[ConvRecord], process_of: dict[str, int]) -> dict[str, int]:
    """Counts for the report: conversations and messages."""
    sent = [s for r in records for s in r.sent]
    return {
        "conversations_started": sum(1 for r in records if r.id),
        "conversations_ended_by_soak": sum(1 for r in records if r.ended_by),
        "conversations_broken": sum(1 for r in records if r.broken),
        "messages_sent": len(sent),
        "messages_acknowledged": sum(1 for s in sent if s.ack_id),
        "messages_refused": sum(1 for s in sent if s.refused),
        "messages_resent_after_cut": sum(1 for s in sent if s.first_unacked),
        "messages_from_visitors": sum(1 for s in sent if s.by == "visitor"),
        "messages_from_staff": sum(1 for s in sent if s.by != "visitor"),
        "visitor_drops": sum(len(r.drops) for r in records),
        "resumes_other_process": sum(1 for r in records for d in r.drops if d.process_from != d.process_to),
        "transfers": sum(1 for r in records for t in r.tenures if t.how == "transfer"),
        "requeued_and_accepted": sum(
            1 for r in records for i, t in enumerate(r.tenures) if t.how == "accept" and i > 0 and t.role == "holder"
        ),
        "invites": sum(1 for r in records for t in r.tenures if t.role == "invited"),
        "referrals": sum(len(r.referrals) for r in records),
        # A visitor connection and a staff member of the chat on different processes.
        "crossing_processes": sum(
            1 for r in records if any(process_of.get(t.staff_id, -1) != c.process for t in r.tenures for c in r.conns)
        ),
    }
