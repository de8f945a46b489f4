"""services/followup.py: a request reaches the staff in the chat (once a while), the
code reaches the visitor only, a redeemed code becomes a staff-only note."""

from __future__ import annotations

import pytest

from chat_server.services.errors import ServiceError
from chat_server.services.messages import SYSTEM_TEXTS

from .conftest import CATALOGS, World, staff_of, visitor_of


async def test_a_request_tells_the_staff_in_the_chat_once(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    boss = await world.staff("supervisor")
    sess, cid = await world.active(sara)
    await world.services.supervision.do_observe(boss, cid)
    world.events.clear()
    await world.services.followups.do_request(sess)
    await world.services.followups.do_request(sess)  # a second tap within 30 s
    assert [s.to for s in world.events.of("followup_requested")] == [staff_of(sara), staff_of(boss)]
    with pytest.raises(ServiceError) as no_chat:
        await world.services.followups.do_request(await world.visitor())
    assert no_chat.value.code == "no_conversation"


async def test_issue_then_redeem_in_a_new_conversation(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    ali = await world.on_duty(await world.staff())
    _, cid = await world.active(sara)
    world.events.clear()

    expires_at = await world.services.followups.do_issue(sara, cid, "Talked about school; call BRIS")

    sent = world.events.of("followup_code")
    assert [s.to for s in sent] == [visitor_of(cid)] and sent[0].payload["expires_at"] == expires_at
    code = sent[0].payload["code"]
    # Staff see that a code was given, never the code.
    (shown,) = world.events.payloads("message", staff_of(sara))
    assert shown["id"] == sent[0].payload["id"] and shown["code"] == "followup_code"
    assert code not in str(world.events.payloads("message", staff_of(sara)))
    assert (await world.services.repository.get(cid)).followup_issued  # type: ignore[union-attr]
    with pytest.raises(ServiceError) as too_long:
        await world.services.followups.do_issue(sara, cid, "x" * 1001)
    assert too_long.value.code == "too_large"

    back, new_cid = await world.start()
    with pytest.raises(ServiceError) as wrong:
        await world.services.followups.do_redeem(back, "0000-0000-0000-0000", "key", lambda: True, True)
    assert wrong.value.code == "not_found"
    with pytest.raises(ServiceError) as not_yet:
        await world.services.followups.check_redeemed(ali, new_cid)
    assert not_yet.value.code == "forbidden"  # not assigned to Ali yet

    await world.services.followups.do_redeem(back, code.lower().replace("-", " "), "key", lambda: True, True)

    conv = await world.services.repository.get(new_cid)
    assert conv is not None and conv.followup_redeemed
    world.events.clear()
    await world.services.lifecycle.do_accept(ali, new_cid)
    await world.services.followups.check_redeemed(ali, new_cid)
    assigned = world.events.payloads("assigned", staff_of(ali))[0]
    note = [m for m in assigned["messages"] if m.get("code") == "followup_summary"]
    assert len(note) == 1 and note[0]["internal"] and "call BRIS" in note[0]["text"]
    # The note tells the counsellor what a code shows and what it does not.
    assert note[0]["text"].startswith(CATALOGS("sv", SYSTEM_TEXTS["followup_summary"]).split("{")[0])
    # The visitor never sees the summary.
    history = await world.services.messages.history_for_visitor(conv)
    assert all("BRIS" not in m["text"] for m in history)
    # The code is used up: the next to enter it gets nothing.
    someone, _ = await world.start()
    with pytest.raises(ServiceError) as used:
        await world.services.followups.do_redeem(someone, code, "key", lambda: True, True)
    assert used.value.code == "not_found"


async def test_a_taken_code_can_be_put_back_and_cancelled(world: World) -> None:
    codes = world.services.followup_codes
    code, _ = await codes.store("Pratade om skolan")
    taken = await codes.take(code)
    assert taken is not None and await codes.take(code) is None
    await codes.put_back(taken[1])  # the new chat ended before the note was written
    again = await codes.take(code)
    assert again is not None and again[0]["summary"] == "Pratade om skolan"
    await codes.put_back(again[1])
    await world.services.followups.do_revoke(code.lower(), "addr", lambda: True, True)
    assert await codes.take(code) is None
    # Cancelling a code that does not exist looks the same, and costs a try.
    await world.services.followups.do_revoke("0000-0000-0000-0000", "addr", lambda: True, True)
    with pytest.raises(ServiceError) as limited:
        await world.services.followups.do_revoke("0000-0000-0000-0000", "addr", lambda: False, True)
    assert limited.value.code == "rate_limited"


async def test_wrong_codes_are_limited(world: World) -> None:
    sess, _ = await world.start()
    attempts = iter([True, True, False])
    for _ in range(2):
        with pytest.raises(ServiceError) as wrong:
            await world.services.followups.do_redeem(sess, "0000-0000-0000-0000", "addr", lambda: next(attempts), True)
        assert wrong.value.code == "not_found"
    with pytest.raises(ServiceError) as per_connection:
        await world.services.followups.do_redeem(sess, "0000-0000-0000-0000", "addr", lambda: next(attempts), True)
    assert per_connection.value.code == "rate_limited"
    for _ in range(8):
        with pytest.raises(ServiceError):
            await world.services.followups.do_redeem(sess, "0000-0000-0000-0000", "addr", lambda: True, True)
    with pytest.raises(ServiceError) as per_address:
        await world.services.followups.do_redeem(sess, "0000-0000-0000-0000", "addr", lambda: True, True)
    assert per_address.value.code == "rate_limited"
