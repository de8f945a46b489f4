"""services/revocation.py: the end of a staff session closes that session's consoles and
releases the person's work (off duty, offers withdrawn, chats back in the queue with
the visitor told, invited and observed chats left); the admin actions that end
sessions go through it."""

from __future__ import annotations

import secrets
import time

import pytest

from chat_server.security import totp
from chat_server.services.admin import AccountChanges
from chat_server.services.domain import Staff
from chat_server.services.staff import session_ref

from .conftest import CATALOGS, World, staff_of, visitor_of


async def signed_in(world: World, role: str = "operator", locale: str = "sv") -> tuple[Staff, str, str]:
    """A staff member logged in for real: (staff, session id, TOTP secret)."""
    n = secrets.token_hex(3)
    password = "correct horse battery " + n
    secret = totp.new_secret()
    account, _ = await world.services.staff.create(f"{role}-{n}", f"Sara {n}", role, password, secret, locale, [locale])
    _, session_id, _ = await world.services.staff.login(account["username"], password, totp.code_at(secret), "k")
    return Staff(account["id"], account["name"], account["role"], locale), session_id, secret


async def console(world: World, staff: Staff, session_id: str, sid: str) -> None:
    """A console socket of ``staff`` opened with ``session_id`` (what the operator
    namespace does on connect)."""
    await world.services.router.do_operator_connected(staff, sid)
    await world.services.revocation.do_console_opened(session_ref(session_id), sid)


async def test_disabling_closes_every_console_and_releases_the_work(world: World) -> None:
    sara, session_id, _ = await signed_in(world, locale="ar")
    await console(world, sara, session_id, "tab-1")
    await console(world, sara, session_id, "tab-2")
    await world.services.console.do_duty(sara, True, None)
    visitor, mine = await world.active(sara)
    colleague = await world.on_duty(await world.staff())
    _, theirs = await world.active(colleague)
    await world.services.supervision.do_invite(colleague, theirs, sara.id)
    admin = await world.staff("admin")
    world.events.clear()

    await world.services.admin.do_update_account(admin, sara.id, AccountChanges(disabled=True))

    ended = world.events.of("session_ended")
    assert {s.to for s in ended} == {("socket", "tab-1"), ("socket", "tab-2")}
    assert ended[0].payload["reason"] == "disabled"
    assert ended[0].payload["message"] == CATALOGS("ar", "Your account has been disabled.")
    assert ended[0].payload["message"] != "Your account has been disabled."  # in Arabic
    assert await world.services.queue.duty_of(sara.id) is None
    back = await world.services.repository.get(mine)
    assert back is not None and back.state == "waiting" and back.operator_id is None
    assert await world.services.repository.queue_ids() == [mine]
    system = [s.payload for s in world.events.of("message") if s.to == visitor_of(mine)]
    assert system and system[-1]["from"] == "system"  # the visitor is told
    assert ("visitor", mine) in world.events.recipients("state", lambda p: p["state"] == "waiting")
    assert visitor.conversation_id == mine
    still = await world.services.repository.get(theirs)
    assert still is not None and sara.id not in still.invited_ids and still.operator_id == colleague.id
    assert await world.services.staff.session(session_id) is None


async def test_offers_to_a_signed_out_operator_go_to_someone_else(world_factory) -> None:
    world: World = await world_factory(routing_mode="auto", offer_timeout_s=60)
    sara, session_id, _ = await signed_in(world)
    await console(world, sara, session_id, "tab-1")
    await world.services.console.do_duty(sara, True, None)
    _, cid = await world.start()
    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.offer is not None and conv.offer.staff_id == sara.id
    other = await world.on_duty(await world.staff())
    world.events.clear()

    await world.services.revocation.do_signed_out(sara.id, "password_reset")

    assert world.events.payloads("offer_withdrawn", staff_of(sara)) == [
        {"conversation_id": cid, "reason": "operator_away"}
    ]
    assert world.events.recipients("offer") == {staff_of(other)}
    _, later = await world.start()
    assert staff_of(sara) not in world.events.recipients("offer", lambda p: p["conversation"]["id"] == later)


async def test_a_supervisor_who_observed_leaves_the_chat_when_signed_out(world: World) -> None:
    boss, session_id, _ = await signed_in(world, "supervisor")
    await console(world, boss, session_id, "tab-1")
    sara = await world.on_duty(await world.staff())
    _, cid = await world.active(sara)
    await world.services.supervision.do_observe(boss, cid)
    admin = await world.staff("admin")

    await world.services.admin.do_update_account(admin, boss.id, AccountChanges(role="operator"))

    assert world.events.payloads("session_ended", ("socket", "tab-1"))[0]["reason"] == "role_changed"
    conv = await world.services.repository.get(cid)
    assert conv is not None and boss.id not in conv.observer_ids
    assert await world.services.supervision.invited_chats(boss) == []


async def test_logout_closes_only_that_sessions_consoles(world: World) -> None:
    sara, first, secret = await signed_in(world)
    await console(world, sara, first, "laptop")
    await world.services.console.do_duty(sara, True, None)
    _, mine = await world.active(sara)
    account = await world.services.staff.get(sara.id)
    assert account is not None
    # The same person on a second computer.
    second_session = await _second_login(world, account["username"], secret)
    await console(world, sara, second_session, "desktop")
    world.events.clear()

    assert await world.services.revocation.do_logout(first, sara.id) == 1

    assert world.events.recipients("session_ended") == {("socket", "laptop")}
    assert world.events.payloads("session_ended", ("socket", "laptop"))[0]["reason"] == "logout"
    # Still signed in on the desktop: still on duty, the chat stays theirs.
    assert await world.services.queue.duty_of(sara.id) is not None
    conv = await world.services.repository.get(mine)
    assert conv is not None and conv.operator_id == sara.id

    assert await world.services.revocation.do_logout(second_session, sara.id) == 1
    assert await world.services.queue.duty_of(sara.id) is None
    conv = await world.services.repository.get(mine)
    assert conv is not None and conv.state == "waiting"


async def _second_login(world: World, username: str, secret: str) -> str:
    password = "correct horse battery " + username.split("-")[-1]
    code = totp.code_at(secret, time.time() + totp.STEP)  # a later code: each logs in once
    _, session_id, _ = await world.services.staff.login(username, password, code, "k")
    return session_id


@pytest.mark.parametrize("action", ["password", "totp"])
async def test_resets_end_the_consoles(world: World, action: str) -> None:
    sara, session_id, _ = await signed_in(world)
    await console(world, sara, session_id, "tab-1")
    admin = await world.staff("admin")
    if action == "password":
        await world.services.admin.do_reset_password(admin, sara.id, "a new long passphrase 42")
    else:
        await world.services.admin.do_reset_totp(admin, sara.id)
    reason = {"password": "password_reset", "totp": "totp_reset"}[action]
    assert world.events.payloads("session_ended", ("socket", "tab-1"))[0]["reason"] == reason


async def test_a_profile_change_ends_nothing(world: World) -> None:
    sara, session_id, _ = await signed_in(world)
    await console(world, sara, session_id, "tab-1")
    admin = await world.staff("admin")
    await world.services.admin.do_update_account(admin, sara.id, AccountChanges(name="Sara B"))
    assert world.events.of("session_ended") == []
    assert await world.services.staff.session(session_id) is not None
