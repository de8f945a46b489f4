"""The soak's judge (chat_server/bench/soak_check.py) on hand-made records: each kind
of fault it must report is found, named precisely, and a clean conversation has none.
Pure functions, no server."""

from __future__ import annotations

from chat_server.bench.soak_check import check_conversation
from chat_server.bench.soak_records import ConvRecord, Drop, Referral, Seen, Sent, Tenure, VisitorConn
from chat_server.bench.soak_visitor import cards_in, codes_in

OP_A, OP_B, OP_C = "staff-a", "staff-b", "staff-c"


def who(staff_id: str) -> str:
    return {OP_A: "Op A", OP_B: "Op B", OP_C: "Op C"}.get(staff_id, staff_id)


def seen(mid: str, cid: str, sender: str, t: float, text: str = "hej") -> Seen:
    return Seen(mid, cid, sender, t, text)


def clean() -> ConvRecord:
    """Visitor and Op A exchange two messages each; the visitor ends the chat."""
    rec = ConvRecord(slot=1, seq=1, t_start=0.0, id="conv1")
    rec.tenures.append(Tenure(OP_A, "holder", "accept", 1.0, t_end=9.0, end="ended:visitor_ended"))
    rec.sent = [
        Sent(1, "v1", "visitor", 2.0, "hej", ack_id="m1", ack_t=2.1, tenure=0),
        Sent(2, "o2", OP_A, 3.0, "hej", ack_id="m2", ack_t=3.1, tenure=0),
        Sent(3, "v3", "visitor", 4.0, "hej", ack_id="m3", ack_t=4.1, tenure=0),
        Sent(4, "o4", OP_A, 5.0, "hej", ack_id="m4", ack_t=5.1, tenure=0),
    ]
    msgs = [
        seen("m1", "v1", "visitor", 2.05),
        seen("m2", "o2", "operator", 3.05),
        seen("m3", "v3", "visitor", 4.05),
        seen("m4", "o4", "operator", 5.05),
    ]
    conn = VisitorConn(1, 0, 0.0, live=list(msgs), ended=[(9.0, "visitor_ended")])
    rec.conns.append(conn)
    rec.tenures[0].live = list(msgs)
    rec.ended_by, rec.t_end = "visitor_ended", 8.9
    return rec


def kinds(rec: ConvRecord) -> list[str]:
    return [f.kind for f in check_conversation(rec, who)]


def test_a_clean_conversation_has_no_fault() -> None:
    assert check_conversation(clean(), who) == []


def test_a_message_the_visitor_never_got_is_lost_with_what_the_visitor_saw() -> None:
    rec = clean()
    rec.conns[0].live = [m for m in rec.conns[0].live if m.id != "m4"]
    faults = check_conversation(rec, who)
    assert [f.kind for f in faults] == ["message_lost"]
    text = "\n".join([faults[0].summary, *faults[0].details])
    assert "o4" in text and "m4" in text and "Op A" in text
    assert "visitor connection #1 on P0" in text and "o2@3.05s" in text  # what came before it


def test_a_message_the_holder_never_got_is_lost() -> None:
    rec = clean()
    rec.tenures[0].live = [m for m in rec.tenures[0].live if m.id != "m3"]
    faults = check_conversation(rec, who)
    assert [f.kind for f in faults] == ["message_lost"]
    assert "Op A (holder) never received v3" in faults[0].summary


def test_a_message_sent_while_waiting_must_reach_the_next_holder_in_its_history() -> None:
    rec = clean()
    rec.sent.insert(0, Sent(0, "v0", "visitor", 0.5, "hej", ack_id="m0", ack_t=0.6, tenure=None))
    rec.conns[0].live.insert(0, seen("m0", "v0", "visitor", 0.55))
    assert kinds(rec) == ["message_lost"]
    rec.tenures[0].history = [seen("m0", "v0", "visitor", 1.0)]
    assert kinds(rec) == []


def test_twice_in_one_view_and_twice_in_the_store_are_duplicates() -> None:
    rec = clean()
    rec.tenures[0].live.append(seen("m2", "o2", "operator", 6.0))
    assert kinds(rec) == ["message_duplicated"]
    rec = clean()
    rec.conns[0].live.append(seen("m9", "v3", "visitor", 6.0))  # the same client_id, another id
    faults = check_conversation(rec, who)
    assert "message_duplicated" in [f.kind for f in faults]
    assert any("v3 stored as 2 messages" in f.summary for f in faults)


def test_live_after_a_history_that_had_it_is_a_redelivery() -> None:
    rec = clean()
    conn = rec.conns[0]
    conn.t_cut, conn.cut = 3.5, "abort"
    conn.live = conn.live[:2]
    resumed = VisitorConn(2, 1, 3.8, resumed=True, ended=[(9.0, "visitor_ended")])
    resumed.history = [seen("m1", "v1", "visitor", 3.9), seen("m2", "o2", "operator", 3.9)]
    resumed.t_history = 3.9
    resumed.live = [seen("m2", "o2", "operator", 3.95), *rec.tenures[0].live[2:]]
    rec.conns.append(resumed)
    assert kinds(rec) == ["message_redelivered"]


def test_a_senders_messages_in_another_order_are_out_of_order() -> None:
    rec = clean()
    live = rec.tenures[0].live
    live[0], live[2] = live[2], live[0]
    faults = check_conversation(rec, who)
    assert [f.kind for f in faults] == ["message_out_of_order"]
    assert "v1" in faults[0].summary and "v3" in faults[0].summary


def test_a_resent_message_keeps_its_id_and_is_not_out_of_order() -> None:
    rec = clean()
    rec.sent[2].first_unacked, rec.sent[2].attempts = True, 2
    live = rec.tenures[0].live
    live[2], live[3] = live[3], live[2]
    assert kinds(rec) == []


def test_staff_not_shown_in_the_chat_must_not_receive_it() -> None:
    """Op A invited Op B, handed the chat back to the queue, Op C accepted it: Op C's
    console does not show Op B, yet Op B still receives the visitor's messages."""
    rec = clean()
    a = rec.tenures[0]
    a.t_end, a.end, a.shown = 4.5, "released:transferred", {OP_B}
    b = Tenure(OP_B, "invited", "invite", 2.5, t_end=9.0, end="ended:visitor_ended")
    c = Tenure(OP_C, "holder", "accept", 5.0, t_end=9.0, end="ended:visitor_ended")
    rec.tenures += [b, c]
    rec.sent[3] = Sent(4, "v4", "visitor", 6.0, "hej", ack_id="m4", ack_t=6.1, tenure=2)
    msg = seen("m4", "v4", "visitor", 6.05)
    rec.conns[0].live[3] = msg
    a.live = a.live[:3]
    b.live = [*a.live[1:], msg]  # invited at 2.5 s: from o2 on
    c.history, c.live = list(rec.conns[0].live[:3]), [msg]
    faults = check_conversation(rec, who)
    assert [f.kind for f in faults] == ["staff_not_shown_received"]
    assert "Op B received v4" in faults[0].summary and "Op C held the chat" in faults[0].summary
    c.shown = {OP_B}  # shown to Op C: then Op B may receive it
    assert kinds(rec) == []


def test_a_message_after_release_is_received_outside_the_chat() -> None:
    rec = clean()
    rec.stray.append((OP_B, seen("m3", "v3", "visitor", 4.05)))
    assert kinds(rec) == ["staff_not_shown_received"]


def test_an_end_nobody_heard_is_reported_for_each_side() -> None:
    rec = clean()
    rec.conns[0].ended = []
    rec.tenures[0].t_end = rec.tenures[0].end = None
    assert kinds(rec) == ["end_not_delivered", "end_not_delivered"]


def test_an_end_whose_ack_was_lost_may_have_happened_by_either_hand() -> None:
    """The operator's ``end`` lost its ack with their console's connection, then the
    visitor's ``end`` found the chat ended: ``operator_ended`` on both sides is right."""
    rec = clean()
    rec.ended_by, rec.ended_by_also = "visitor_ended", "operator_ended"
    rec.conns[0].ended = [(5.0, "operator_ended")]
    rec.tenures[0].end = "ended:operator_ended"
    assert kinds(rec) == []
    rec.ended_by_also = None
    assert kinds(rec) == ["end_not_delivered", "end_not_delivered"]


def test_typing_left_shown_after_a_drop() -> None:
    rec = clean()
    rec.drops.append(Drop(4.5, "abort", True, None, OP_A, t_resume=5.5))
    rec.typing[OP_A] = [(4.4, True)]
    assert kinds(rec) == ["typing_left_over"]
    rec.typing[OP_A].append((4.6, False))
    assert kinds(rec) == []


def test_referral_cards_count_live_or_in_a_history_of_any_shape() -> None:
    rec = clean()
    rec.referrals.append(Referral(4.5, OP_A, ["bris-116111"], during_drop=True))
    assert kinds(rec) == ["referral_lost"]
    item = {"id": "m7", "from": "system", "code": "referral", "referral": {"cards": [{"id": "bris-116111"}]}}
    rec.conns[0].history_referrals += cards_in(item)
    assert kinds(rec) == []


def test_follow_up_codes_are_found_in_any_history_item() -> None:
    assert codes_in({"from": "system", "followup": {"code": "7KQ2-M9XD-4RTA-HV3C"}}) == ["7KQ2-M9XD-4RTA-HV3C"]
    assert codes_in({"text": "hej", "code": "operator_joined"}) == []


def test_a_broken_conversation_is_not_judged_message_by_message() -> None:
    rec = clean()
    rec.conns[0].live = []
    rec.fault("conversation_lost", "resume re-attached None", broken=True)
    assert kinds(rec) == ["conversation_lost"]


def test_messages_after_a_console_lost_the_chat_are_not_expected_there() -> None:
    """Op A's console dropped past the operator grace: the chat went back to the queue
    and to Op C. What was sent after A's drop is Op C's, not A's."""
    rec = clean()
    a = rec.tenures[0]
    a.t_end, a.end = 3.5, "released:gone_after_reconnect"
    a.live = a.live[:2]
    c = Tenure(OP_C, "holder", "accept", 4.5, t_end=9.0, end="ended:visitor_ended")
    c.history, c.live = list(rec.conns[0].live[:3]), list(rec.conns[0].live[3:])
    rec.tenures.append(c)
    rec.sent[3] = Sent(4, "o4", OP_C, 5.0, "hej", ack_id="m4", ack_t=5.1, tenure=1)
    rec.sent[2].tenure = 0  # sent while A's console was away, before the requeue
    assert kinds(rec) == []
