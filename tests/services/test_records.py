"""Visitor records (services/messages.py): referral cards, the follow-up code and
system notices are part of the conversation's encrypted history, replayed to the
visitor on resume exactly once and in order, shown to staff in their language (never
the code), and destroyed with the conversation."""

from __future__ import annotations

from .conftest import World, staff_of, visitor_of, visitor_sid


async def test_cards_and_a_code_sent_while_the_visitor_is_away_reach_them_on_resume(world: World) -> None:
    sara = await world.on_duty(await world.staff(languages=["sv", "ar"]))
    sess, cid = await world.active(sara, locale="ar")
    await world.services.messages.do_visitor_message(sess, "c1", "before")
    await world.services.sessions.do_disconnected(sess, visitor_sid(sess))

    cards = await world.services.referrals.do_send(sara, cid, ["bris-116111"])
    await world.services.followups.do_issue(sara, cid, "school")
    code = world.events.payloads("followup_code", visitor_of(cid))[0]["code"]
    await world.services.messages.do_operator_message(sara, cid, "o1", "after")

    conv = await world.services.repository.get(cid)
    assert conv is not None
    conv = await world.services.sessions.do_connected(conv, "new-socket", "k")
    world.events.clear()
    await world.services.sessions.resume_announce(conv)

    (history,) = world.events.payloads("history", visitor_of(cid))
    items = history["messages"]
    assert [m.get("code") or m["text"] for m in items] == [
        "operator_joined",
        "before",
        "referral",
        "followup_code",
        "after",
    ]
    referral, followup = items[2], items[3]
    assert referral["cards"] == cards and referral["from"] == "system" and "BRIS" in referral["text"]
    assert set(referral) == {"id", "client_id", "from", "text", "ts", "code", "cards"}  # a message, plus
    assert followup["followup"]["code"] == code and code in followup["text"]
    # Staff read the same records in their own language, without the code.
    staff_history = await world.services.messages.history_for_staff(conv, "sv")
    records = [m for m in staff_history if m.get("code") in ("referral", "followup_code")]
    assert [m["id"] for m in records] == [referral["id"], followup["id"]]
    assert all("followup" not in m for m in records) and "cards" not in records[1]
    # The referral record carries the same cards, rendered in the staff reader's language.
    (staff_card,) = records[0]["cards"]
    assert staff_card["id"] == cards[0]["id"] and staff_card["how"] == [
        {**way, "label": staff_way["label"]} for way, staff_way in zip(cards[0]["how"], staff_card["how"], strict=True)
    ]
    assert staff_card["what"] != cards[0]["what"] and "BRIS" in staff_card["what"]
    assert code not in str(staff_history)


async def test_records_are_destroyed_with_the_conversation(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    await world.services.referrals.do_send(sara, cid, ["bris-116111"])
    await world.services.followups.do_issue(sara, cid, "school")
    await world.services.lifecycle.do_visitor_end(sess)
    assert await world.services.repository.messages(cid) == []
    keys = await world.eph.keys_for_inspection()
    assert not [k for k in keys if cid in k]
    assert staff_of(sara) in world.events.recipients("ended")
