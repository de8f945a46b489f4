"""A store written by the release before centres opens as the centre ``default`` with
nothing lost (issue 19, point 1).

The store is written by that release's own storage code (tests/fixtures/release1, main
at 5e82205), with data in the shapes its services wrote: accounts of every role (one
disabled), a live staff session, opening hours, canned responses, a referral directory
with an edited national and a local receiver, a follow-up code, the secret's check
value, statistics over several days and audit entries. Then the current code opens it,
on SQLite and on Redis.
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

import pytest

from chat_server.services.audit import Audit
from chat_server.services.canned import Canned
from chat_server.services.centre_migration import do_migrate_to_centres
from chat_server.services.centres import Centres
from chat_server.services.domain import Staff
from chat_server.services.hours import Hours
from chat_server.services.referrals import Directory, load_seed
from chat_server.storage.redis_durable import RedisDurable
from chat_server.storage.sqlite import SqliteDurable
from tests.fixtures.release1.redis_durable import RedisDurable as Release1Redis
from tests.fixtures.release1.sqlite import SqliteDurable as Release1Sqlite

LOCALES = ("sv", "en", "ar", "fa", "ckb", "ku", "so", "ti", "tr")


def account(i: str, username: str, role: str, **kw: Any) -> dict[str, Any]:
    """An account as services/staff.py of that release stored it."""
    return {
        "id": i,
        "username": username,
        "name": username.title(),
        "role": role,
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$" + i,
        "totp": "sealed-" + i,
        "totp_last_step": 123,
        "disabled": False,
        "locale": "sv",
        "languages": ["sv", "ar"],
        "created_at": 1_700_000_000_000,
        **kw,
    }


ACCOUNTS = [
    account("s-admin", "lina", "admin"),
    account("s-sup", "omar", "supervisor", audiences=["professional"], max_chats=3),
    account("s-op", "sara", "operator"),
    account("s-off", "gone", "operator", disabled=True),
]
HOURS = {
    "weekly": {"0": [["09:00", "16:00"]], "3": [["12:00", "20:00"]]},
    "exceptions": {"2026-12-23": []},
    "closed_on_holidays": True,
    "closed_on_eves": False,
    "last_call_min": 15,
}
CANNED = {"sv": [{"id": "hej", "title": "Hej", "text": "Hej, jag heter {name}."}]}
STATS = {
    "2026-10-01": {"conversations:total": 3, "audience:self": 2, "audience:other": 1},
    "2026-10-02": {"conversations:total": 1, "language:ar": 1},
    "2026-11-30": {"conversations:total": 7, "outcome:operator_ended": 7},
}
AUDIT = [
    {"ts": 1_000, "actor": "s-admin", "action": "login", "target": "s-admin", "details": {}},
    {"ts": 2_000, "actor": "s-admin", "action": "hours_update", "target": "hours", "details": {}},
    {"ts": 3_000, "actor": "s-op", "action": "accept", "target": None, "details": {}},
]


def directory() -> dict[str, Any]:
    receivers = copy.deepcopy(load_seed())
    receivers[0]["notes"] = "Edited by the coordinator"  # a national receiver, edited
    local = copy.deepcopy(next(r for r in receivers if r["area"]["kind"] == "municipality"))
    local.update(id="tjejjouren-falun", name="Tjejjouren Falun", type="civil_society", verify=True)
    return {"receivers": [*receivers, local]}


async def write_release1(store: Any) -> dict[str, Any]:
    """Fill a release-1 store; returns what was written, to compare."""
    for record in ACCOUNTS:
        await store.create_staff(copy.deepcopy(record))
    await store.put_kv("doc", "hours", copy.deepcopy(HOURS))
    await store.put_kv("doc", "canned", copy.deepcopy(CANNED))
    doc = directory()
    await store.put_kv("doc", "referrals", copy.deepcopy(doc))
    session = {"staff_id": "s-op", "csrf": "c", "created_at": time.time(), "last_seen": time.time()}
    await store.put_kv("staff_session", "ref1", session, expires_at=time.time() + 3600)
    await store.put_kv("followup", "code1", {"sealed": "x"}, expires_at=time.time() + 3600)
    await store.put_kv("meta", "key_check", {"value": "abc"})
    for day, counters in STATS.items():
        await store.add_stats(day, counters)
    for entry in AUDIT:
        await store.add_audit(copy.deepcopy(entry))
    return {"referrals": doc, "session": session}


@pytest.fixture(params=["sqlite", "redis"])
async def stores(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """(release-1 store, a function opening the same data with the current code)."""
    if request.param == "sqlite":
        path = tmp_path / "rc.sqlite3"
        return Release1Sqlite(path), lambda: SqliteDurable(path)
    url = request.getfixturevalue("redis_server").url_db(1)
    prefix = f"m{secrets.token_hex(4)}:"
    return Release1Redis(url, prefix=prefix), lambda: RedisDurable(url, prefix=prefix)


async def test_a_release1_store_becomes_the_default_centre_with_nothing_lost(stores: Any) -> None:
    old, reopen = stores
    await old.open()
    written = await write_release1(old)
    await old.close()

    durable = reopen()
    await durable.open()
    try:
        report = await do_migrate_to_centres(durable)
        assert report.created_default and report.accounts == len(ACCOUNTS)
        assert set(report.documents) == {"hours", "canned", "referrals"}

        # Accounts: every field kept, each in "default" with its role; admins national.
        for before in ACCOUNTS:
            after = await durable.get_staff(before["id"])
            assert {k: after[k] for k in before} == before
            assert after["centres"] == {"default": before["role"]}
            assert after["national_admin"] is (before["role"] == "admin")
            staff = Staff.from_account(after)
            assert staff.role == before["role"] and staff.role_in("default") == before["role"]
        assert (await durable.get_staff_by_username("LINA"))["id"] == "s-admin"

        # Counters: the same, as the default centre's and in the national sum.
        expected = sorted((d, k, n) for d, c in STATS.items() for k, n in c.items())
        assert await durable.get_stats("2000-01-01", "2100-01-01") == expected
        assert await durable.get_stats("2000-01-01", "2100-01-01", centre=None) == expected
        await durable.add_stats("2026-10-01", {"conversations:total": 1})  # still counts on
        assert ("2026-10-01", "conversations:total", 4) in await durable.get_stats("2026-10-01", "2026-10-01")

        # Audit: every entry, in the default centre's log.
        for listing in (await durable.list_audit(10), await durable.list_audit(10, centre="default")):
            assert [e["ts"] for e in listing] == [3_000, 2_000, 1_000]
            assert [e["action"] for e in listing] == ["accept", "hours_update", "login"]
            assert all(e["centres"] == ["default"] for e in listing)

        # Settings, through the services that read them.
        assert (await Hours(durable).schedule("default")).to_doc() == {**HOURS}
        canned = Canned(durable, lambda _locale, msgid: msgid)
        assert await canned.for_locale("sv", "default") == CANNED["sv"]
        receivers = await Directory(durable, LOCALES).all("default")
        assert sorted(receivers, key=lambda r: r["id"]) == sorted(
            written["referrals"]["receivers"], key=lambda r: r["id"]
        )
        national = (await durable.get_kv("doc", "referrals"))["receivers"]
        assert national and all(r["area"]["kind"] == "national" for r in national)
        assert any(r.get("notes") == "Edited by the coordinator" for r in national)
        elsewhere = await Directory(durable, LOCALES).all("skane")  # no local receivers elsewhere
        assert sorted(r["id"] for r in elsewhere) == sorted(r["id"] for r in national)

        # Everything else untouched: sessions, follow-up codes, the key check.
        assert await durable.get_kv("staff_session", "ref1") == written["session"]
        assert await durable.get_kv("followup", "code1") == {"sealed": "x"}
        assert await durable.get_kv("meta", "key_check") == {"value": "abc"}
        assert await durable.get_kv("doc", "hours") is None and await durable.get_kv("doc", "canned") is None

        centres = Centres(durable, Audit(durable), LOCALES)
        assert [c.id for c in await centres.all()] == ["default"]

        # Again (a second process, a restart): nothing changes.
        again = await do_migrate_to_centres(durable)
        assert not again.created_default and again.accounts == 0 and again.documents == ()
        assert len(await Directory(durable, LOCALES).all("default")) == len(receivers)
    finally:
        await durable.close()

    # Opening it once more runs no storage migration twice.
    durable = reopen()
    await durable.open()
    try:
        assert await durable.get_stats("2000-01-01", "2100-01-01", centre=None) == sorted(
            [
                *(x for x in expected if x != ("2026-10-01", "conversations:total", 3)),
                ("2026-10-01", "conversations:total", 4),
            ]
        )
        assert len(await durable.list_audit(10, centre="default")) == 3
    finally:
        await durable.close()
