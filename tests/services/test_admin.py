"""services/admin.py: the rules of account administration and opening hours."""

from __future__ import annotations

import pytest

from chat_server.services.admin import AccountChanges, NewAccount, check_hours_document, check_not_locking_out
from chat_server.services.domain import Staff
from chat_server.services.errors import ServiceError

from .conftest import World

ADMIN = Staff("a1", "Lina", "admin", "sv")


@pytest.mark.parametrize(
    "changes", [AccountChanges(disabled=True), AccountChanges(role="operator"), AccountChanges(role="supervisor")]
)
def test_an_admin_cannot_lock_themselves_out(changes: AccountChanges) -> None:
    with pytest.raises(ServiceError) as refused:
        check_not_locking_out(ADMIN, "a1", changes)
    assert refused.value.code == "conflict"
    check_not_locking_out(ADMIN, "someone-else", changes)
    check_not_locking_out(ADMIN, "a1", AccountChanges(name="Lina L", role="admin", disabled=False))


@pytest.mark.parametrize(
    "doc",
    [
        {"weekly": {"7": [["09:00", "16:00"]]}},
        {"weekly": {"0": [["16:00", "09:00"]]}},
        {"weekly": {"0": [["9:00", "16:00"]]}},
        {"exceptions": {"2026-02-30": []}},
        {"last_call_min": 121},
        {"closed_on_holidays": "yes"},
        {"closed_on_eves": 1},
        {"surprise": 1},
        {"exception_periods": [{"from": "2026-07-10", "to": "2026-07-01", "ranges": []}]},
        {"exception_periods": [{"from": "2026-01-01", "to": "2027-01-05", "ranges": []}]},
        {"exception_periods": [{"from": "2026-07-01", "to": "2026-07-31", "ranges": [], "reason": "x" * 201}]},
        {"exception_periods": [{"from": "2026-07-01", "to": "2026-07-31", "ranges": [], "extra": 1}]},
        {"exception_periods": {"from": "2026-07-01"}},
        # Two exceptions on one day: which would win is a guess.
        {"exceptions": {"2026-07-14": []}, "exception_periods": [{"from": "2026-07-01", "to": "2026-07-31"}]},
        {"exception_periods": [{"from": "2026-07-01", "to": "2026-07-10"}, {"from": "2026-07-10", "to": "2026-07-12"}]},
    ],
)
def test_hours_documents_that_make_no_sense_are_refused(doc: dict[str, object]) -> None:
    with pytest.raises(ServiceError) as refused:
        check_hours_document(doc)
    assert refused.value.code == "invalid"


def test_a_good_hours_document_is_normalised() -> None:
    doc = check_hours_document({"weekly": {"0": [["13:00", "16:00"], ["09:00", "12:00"]], "1": []}})
    assert doc == {
        "weekly": {"0": [["09:00", "12:00"], ["13:00", "16:00"]]},
        "exceptions": {},
        "closed_on_holidays": True,
        "closed_on_eves": True,
        "last_call_min": 10,
    }


def test_periods_with_a_reason_and_the_eves_are_kept_and_one_day_without_reason_is_a_date() -> None:
    doc = check_hours_document(
        {
            "closed_on_eves": False,
            "exception_periods": [
                {"from": "2026-07-06", "to": "2026-08-02", "ranges": [], "reason": " Summer closure "},
                {"from": "2026-06-05", "to": "2026-06-05", "ranges": [["10:00", "14:00"]]},
                {"from": "2026-12-23", "to": "2026-12-23", "ranges": [], "reason": "Staff day"},
            ],
        }
    )
    assert doc["closed_on_eves"] is False
    assert doc["exceptions"] == {"2026-06-05": [["10:00", "14:00"]]}
    assert doc["exception_periods"] == [
        {"from": "2026-07-06", "to": "2026-08-02", "ranges": [], "reason": "Summer closure"},
        {"from": "2026-12-23", "to": "2026-12-23", "ranges": [], "reason": "Staff day"},
    ]
    # Canonical: checking the result again changes nothing.
    assert check_hours_document(dict(doc)) == doc


async def test_hours_read_and_saved_unchanged_are_stored_unchanged(world: World) -> None:
    admin = await world.staff("admin")
    doc = {
        "weekly": {"0": [["09:00", "12:00"], ["13:00", "16:00"]], "4": [["09:00", "24:00"]]},
        "exceptions": {"2026-06-05": [["10:00", "14:00"]]},
        "exception_periods": [{"from": "2026-07-06", "to": "2026-08-02", "ranges": [], "reason": "Summer closure"}],
        "closed_on_holidays": True,
        "closed_on_eves": False,
        "last_call_min": 15,
    }
    view = await world.services.admin.do_set_hours(admin, doc)
    stored = await world.services.staff.durable.get_kv("centre:default", "hours")
    assert view["hours"] == stored == doc
    again = await world.services.admin.do_set_hours(admin, dict(view["hours"]))
    assert again["hours"] == await world.services.staff.durable.get_kv("centre:default", "hours") == stored


async def test_a_document_from_before_periods_and_eves_loads_and_keeps_its_shape(world: World) -> None:
    admin = await world.staff("admin")
    old = {
        "weekly": {"0": [["09:00", "16:00"]]},
        "exceptions": {"2026-12-23": []},
        "closed_on_holidays": True,
        "last_call_min": 10,
    }
    await world.services.staff.durable.put_kv("centre:default", "hours", old)
    world.services.hours.invalidate()
    view = await world.services.admin.hours_view()
    assert view["hours"] == {**old, "closed_on_eves": True}  # the default the schedule applies
    assert "exception_periods" not in view["hours"]
    await world.services.admin.do_set_hours(admin, dict(view["hours"]))
    assert await world.services.staff.durable.get_kv("centre:default", "hours") == {**old, "closed_on_eves": True}


async def test_accounts_are_created_changed_and_audited(world: World) -> None:
    admin = await world.staff("admin")
    new = NewAccount(username="ali", name="Ali", password="correct horse battery staple", languages=("sv", "ar"))
    account, enrolment = await world.services.admin.do_create_account(admin, new)
    assert account["role"] == "operator" and account["languages"] == ["sv", "ar"] and enrolment["uri"]
    with pytest.raises(ServiceError) as taken:
        await world.services.admin.do_create_account(admin, new)
    assert taken.value.code == "conflict"
    changed = await world.services.admin.do_update_account(admin, account["id"], AccountChanges(role="supervisor"))
    assert changed["role"] == "supervisor"
    with pytest.raises(ServiceError) as missing:
        await world.services.admin.do_update_account(admin, "nobody", AccountChanges(name="x"))
    assert missing.value.code == "not_found"
    actions = [e["action"] for e in await world.services.admin.audit_log(admin, None)]
    assert "staff_create" in actions and "staff_update" in actions
    view = await world.services.admin.do_set_hours(admin, {"weekly": {"0": [["09:00", "16:00"]]}})
    assert view["hours"]["weekly"] == {"0": [["09:00", "16:00"]]} and view["status"]["timezone"]


async def test_max_chats_and_audiences_are_set_on_creation_and_changed(world: World) -> None:
    admin = await world.staff("admin")
    new = NewAccount(
        username="pro", name="Pro", password="correct horse battery staple", audiences=("professional",), max_chats=2
    )
    account, _ = await world.services.admin.do_create_account(admin, new)
    assert account["audiences"] == ["professional"] and account["max_chats"] == 2
    kept = await world.services.admin.do_update_account(admin, account["id"], AccountChanges(name="Pro 2"))
    assert kept["max_chats"] == 2 and kept["audiences"] == ["professional"]
    changed = await world.services.admin.do_update_account(
        admin, account["id"], AccountChanges(audiences=("individual", "professional"), max_chats=None)
    )
    assert changed["audiences"] == ["individual", "professional"] and changed["max_chats"] is None
    for bad in (AccountChanges(audiences=()), AccountChanges(audiences=("everyone",)), AccountChanges(max_chats=21)):
        with pytest.raises(ServiceError) as refused:
            await world.services.admin.do_update_account(admin, account["id"], bad)
        assert refused.value.code == "invalid"
