"""services/messages.py: who receives a message, a note and typing; deduplication;
history for each side; nothing in the store is plaintext."""

from __future__ import annotations

import pytest

from chat_server.services.errors import ServiceError

from .conftest import World, staff_of, visitor_of


async def test_a_visitor_message_reaches_the_visitor_and_every_staff_participant_only(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.on_duty(await world.staff(name="Ali"))
    boss = await world.staff("supervisor", name="Boss")
    bystander = await world.on_duty(await world.staff(name="Nour"))
    sess, cid = await world.active(sara)
    await world.services.supervision.do_invite(sara, cid, ali.id)
    await world.services.supervision.do_observe(boss, cid)
    world.events.clear()

    ack = await world.services.messages.do_visitor_message(sess, "c1", "Hej, jag behöver prata")

    got = world.events.of("message")
    assert {s.to for s in got} == {visitor_of(cid), staff_of(sara), staff_of(ali), staff_of(boss)}
    assert staff_of(bystander) not in {s.to for s in world.events.sent}
    to_visitor = world.events.payloads("message", visitor_of(cid))[0]
    assert to_visitor == {
        "id": ack["id"],
        "client_id": "c1",
        "from": "visitor",
        "ts": ack["ts"],
        "text": "Hej, jag behöver prata",
    }
    to_staff = world.events.payloads("message", staff_of(ali))[0]
    assert to_staff["conversation_id"] == cid and to_staff["text"] == "Hej, jag behöver prata"
    assert world.observer.relayed == ["visitor"]
    # Stored encrypted: the text is nowhere in the store.
    assert "behöver" not in repr(world.eph.raw_dump())


async def test_a_resent_message_is_stored_and_delivered_once(world: World) -> None:
    sess, cid = await world.start()
    first = await world.services.messages.do_visitor_message(sess, "c1", "hej")
    world.events.clear()
    again = await world.services.messages.do_visitor_message(sess, "c1", "hej")
    assert again == first and world.events.sent == []
    assert len(await world.services.repository.messages(cid)) == 1


async def test_an_internal_note_reaches_staff_only_and_never_the_visitors_history(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    ali = await world.on_duty(await world.staff())
    _, cid = await world.active(sara)
    await world.services.supervision.do_invite(sara, cid, ali.id)
    world.events.clear()
    await world.services.messages.do_operator_message(ali, cid, "n1", "staff only", internal=True)
    assert world.events.recipients("message") == {staff_of(sara), staff_of(ali)}
    conv = await world.services.repository.get(cid)
    assert conv is not None
    assert "staff only" not in [m["text"] for m in await world.services.messages.history_for_visitor(conv)]
    staff_history = await world.services.messages.history_for_staff(conv, "sv")
    assert any(m["text"] == "staff only" and m.get("internal") for m in staff_history)


async def test_who_may_write(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    boss = await world.staff("supervisor")
    stranger = await world.staff()
    no_chat, _ = await world.start()
    _, cid = await world.active(sara)
    await world.services.supervision.do_observe(boss, cid)
    for staff, code in ((stranger, "forbidden"), (boss, "forbidden")):  # observers read only
        with pytest.raises(ServiceError) as refused:
            await world.services.messages.do_operator_message(staff, cid, "x", "hi")
        assert refused.value.code == code
    with pytest.raises(ServiceError) as missing:
        await world.services.messages.do_operator_message(sara, "gone", "x", "hi")
    assert missing.value.code == "not_found"
    fresh = await world.visitor()
    with pytest.raises(ServiceError) as before_start:
        await world.services.messages.do_visitor_message(fresh, "x", "hi")
    assert before_start.value.code == "no_conversation"
    await world.services.lifecycle.do_visitor_end(no_chat)
    with pytest.raises(ServiceError) as ended:
        await world.services.messages.do_visitor_message(no_chat, "x", "hi")
    assert ended.value.code == "conflict"


async def test_typing_goes_to_the_other_side_only(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    ali = await world.on_duty(await world.staff())
    sess, cid = await world.active(sara)
    await world.services.supervision.do_invite(sara, cid, ali.id)
    world.events.clear()
    await world.services.messages.do_visitor_typing(sess, True)
    assert world.events.recipients("typing") == {staff_of(sara), staff_of(ali)}
    assert world.events.payloads("typing", staff_of(ali)) == [{"conversation_id": cid, "active": True}]
    world.events.clear()
    await world.services.messages.do_operator_typing(sara, cid, False)
    assert world.events.recipients("typing") == {visitor_of(cid)}
    assert world.events.payloads("typing", visitor_of(cid)) == [{"active": False}]
    with pytest.raises(ServiceError) as invited:  # only the assigned operator's typing is shown
        await world.services.messages.do_operator_typing(ali, cid, True)
    assert invited.value.code == "forbidden"


async def test_system_messages_are_translated_for_each_reader(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara"))
    _, cid = await world.start(locale="en")
    await world.services.lifecycle.do_accept(sara, cid)
    joined = [s for s in world.events.of("message") if s.payload.get("code") == "operator_joined"]
    by_whom = {s.to: s.payload["text"] for s in joined}
    assert by_whom[visitor_of(cid)] == "Sara has joined the chat."
    assert by_whom[staff_of(sara)] != by_whom[visitor_of(cid)]  # Swedish for Sara
    assert "Sara" in by_whom[staff_of(sara)]


@pytest.mark.parametrize("change", ["accept", "transfer", "invite"])
async def test_a_message_read_before_a_change_of_hands_reaches_the_new_participant(world: World, change: str) -> None:
    """Issue 14: the message's process read the conversation, then an accept, transfer
    or invite (on another process) handed it to someone whose history was read before
    the message was in the log. Addressed by what is there after the append, the new
    participant gets it live; the one who left does not."""
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.on_duty(await world.staff(name="Ali"))
    if change == "accept":
        sess, cid = await world.start()
    else:
        sess, cid = await world.active(sara)
    repo = world.services.repository
    real_append = repo.append_message

    changed = False

    async def change_of_hands_first(*args: object, **kwargs: object) -> object:
        nonlocal changed
        if changed:  # the change's own system messages
            return await real_append(*args, **kwargs)  # type: ignore[arg-type]
        changed = True
        if change == "accept":
            await world.services.lifecycle.do_accept(ali, cid)
        elif change == "transfer":
            await world.services.supervision.do_transfer(sara, cid, ali.id, None)
        else:
            await world.services.supervision.do_invite(sara, cid, ali.id)
        world.events.clear()  # what they were sent with the change (its history) is before the message
        return await real_append(*args, **kwargs)  # type: ignore[arg-type]

    repo.append_message = change_of_hands_first  # type: ignore[method-assign]
    try:
        await world.services.messages.do_visitor_message(sess, "late", "är du kvar?")
    finally:
        repo.append_message = real_append  # type: ignore[method-assign]
    got = world.events.recipients("message")
    assert staff_of(ali) in got and visitor_of(cid) in got
    if change == "transfer":
        assert staff_of(sara) not in got


async def test_a_console_connecting_while_a_chat_ends_is_greeted_without_it(world: World) -> None:
    """Found by the soak: a chat listed as live, then ended (its key destroyed) before
    its history was read, failed the console's whole greeting, and the console was
    disconnected. The listing leaves that chat out (its ``ended`` reaches them anyway)."""
    sara = await world.on_duty(await world.staff(name="Sara"))
    ali = await world.on_duty(await world.staff(name="Ali"))
    _, gone = await world.active(sara)
    _, stays = await world.active(sara)
    await world.services.supervision.do_invite(sara, gone, ali.id)
    await world.services.supervision.do_invite(sara, stays, ali.id)
    repo = world.services.repository
    listed = await repo.live()
    await world.services.lifecycle.do_operator_end(sara, gone, None)

    async def as_listed_before() -> list[object]:
        return list(listed)

    repo.live = as_listed_before  # type: ignore[method-assign, assignment]
    chats = await world.services.console.chats_of(sara)
    assert [c["conversation"]["id"] for c in chats] == [stays]
    invited = await world.services.supervision.invited_chats(ali)
    assert [c["conversation"]["id"] for c in invited] == [stays]
