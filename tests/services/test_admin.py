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
        {"surprise": 1},
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
        "last_call_min": 10,
    }


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
    actions = [e["action"] for e in await world.services.admin.audit_log(None)]
    assert "staff_create" in actions and "staff_update" in actions
    view = await world.services.admin.do_set_hours(admin, {"weekly": {"0": [["09:00", "16:00"]]}})
    assert view["hours"]["weekly"] == {"0": [["09:00", "16:00"]]} and view["status"]["timezone"]
