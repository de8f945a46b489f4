"""The Durable protocol, against every backend."""

from __future__ import annotations

import asyncio
import time

import pytest

from chat_server.storage.base import Conflict


def staff(i: str, username: str, **kw):
    return {"id": i, "username": username, "name": username.title(), "role": "operator", **kw}


async def test_staff_crud(durable):
    await durable.create_staff(staff("s1", "sara"))
    await durable.create_staff(staff("s2", "amir", role="admin"))
    assert (await durable.get_staff("s1"))["username"] == "sara"
    assert (await durable.get_staff_by_username("SARA"))["id"] == "s1"
    assert [s["id"] for s in await durable.list_staff()] == ["s2", "s1"]
    assert await durable.count_staff() == 2
    assert await durable.count_staff("admin") == 1
    updated = await durable.update_staff("s1", {"name": "Sara L", "disabled": True})
    assert updated["name"] == "Sara L" and updated["disabled"] is True
    assert await durable.update_staff("nope", {"x": 1}) is None


async def test_staff_update_with_an_expectation_is_a_compare_and_set(durable):
    """Two admins changing one account's centres at once: the second write, made from
    what it read before the first, is refused (None) and leaves the first in place."""
    await durable.create_staff({**staff("s1", "sara"), "centres": {"a": "operator", "b": "admin"}})
    read = (await durable.get_staff("s1"))["centres"]
    assert (await durable.update_staff("s1", {"centres": {"a": "operator"}}, expect={"centres": read}))["centres"] == {
        "a": "operator"
    }
    assert await durable.update_staff("s1", {"centres": {**read, "b": "supervisor"}}, expect={"centres": read}) is None
    assert (await durable.get_staff("s1"))["centres"] == {"a": "operator"}
    assert await durable.update_staff("nope", {"x": 1}, expect={"centres": None}) is None


async def test_usernames_are_unique(durable):
    await durable.create_staff(staff("s1", "sara"))
    with pytest.raises(Conflict):
        await durable.create_staff(staff("s9", "Sara"))
    await durable.create_staff(staff("s2", "amir"))
    with pytest.raises(Conflict):
        await durable.update_staff("s2", {"username": "sara"})
    renamed = await durable.update_staff("s2", {"username": "amir2"})
    assert renamed["username"] == "amir2"
    assert (await durable.get_staff_by_username("amir2"))["id"] == "s2"


async def test_audit_newest_first_with_paging(durable):
    for i in range(5):
        await durable.add_audit({"ts": 1000 + i, "actor": "s1", "action": "login", "target": None, "details": {}})
    entries = await durable.list_audit(limit=3)
    assert [e["ts"] for e in entries] == [1004, 1003, 1002]
    older = await durable.list_audit(limit=10, before_ts=1002)
    assert [e["ts"] for e in older] == [1001, 1000]


async def test_stats_accumulate_per_day(durable):
    await durable.add_stats("2026-11-20", {"audience:self": 1, "conversations:total": 1})
    await durable.add_stats("2026-11-20", {"audience:self": 2})
    await durable.add_stats("2026-11-21", {"audience:other": 1})
    await durable.add_stats("2026-11-25", {"audience:other": 1})
    rows = await durable.get_stats("2026-11-20", "2026-11-21")
    assert rows == [
        ("2026-11-20", "audience:self", 3),
        ("2026-11-20", "conversations:total", 1),
        ("2026-11-21", "audience:other", 1),
    ]


async def test_kv_with_expiry_and_take(durable):
    await durable.put_kv("doc", "hours", {"weekly": {}})
    assert await durable.get_kv("doc", "hours") == {"weekly": {}}
    await durable.put_kv("setup", "t1", {"v": 1}, expires_at=time.time() + 60)
    await durable.put_kv("setup", "t2", {"v": 2}, expires_at=time.time() - 1)
    assert await durable.get_kv("setup", "t2") is None
    assert [k for k, _ in await durable.list_kv("setup")] == ["t1"]
    assert await durable.take_kv("setup", "t1") == {"v": 1}
    assert await durable.take_kv("setup", "t1") is None
    assert await durable.delete_kv("doc", "hours") is True
    assert await durable.get_kv("doc", "hours") is None


async def test_kv_replace_is_a_compare_and_set(durable):
    """Two editors read a document, both save: the second is refused, not lost unseen."""
    assert await durable.replace_kv("doc", "d", None, {"v": 1})
    assert not await durable.replace_kv("doc", "d", None, {"v": 9})  # it exists now
    read = await durable.get_kv("doc", "d")
    assert await durable.replace_kv("doc", "d", read, {"v": 2, "by": "one"})
    assert not await durable.replace_kv("doc", "d", read, {"v": 2, "by": "two"})
    assert await durable.get_kv("doc", "d") == {"v": 2, "by": "one"}
    assert ("d", {"v": 2, "by": "one"}) in await durable.list_kv("doc")


async def test_kv_add_creates_once(durable):
    assert await durable.add_kv("pending", "k", {"v": 1}, expires_at=time.time() + 60) is True
    assert await durable.add_kv("pending", "k", {"v": 2}, expires_at=time.time() + 60) is False
    assert await durable.get_kv("pending", "k") == {"v": 1}
    # Two at once: exactly one creates it.
    results = await asyncio.gather(*(durable.add_kv("pending", "race", {"v": i}) for i in range(8)))
    assert results.count(True) == 1
    # An expired value counts as none.
    await durable.put_kv("pending", "old", {"v": 0}, expires_at=time.time() - 1)
    assert await durable.add_kv("pending", "old", {"v": 3}) is True
    assert await durable.get_kv("pending", "old") == {"v": 3}


async def test_prune_audit_and_stats(durable):
    for ts in (1_000, 2_000, 3_000, 3_000):
        await durable.add_audit({"ts": ts, "actor": "a", "action": "login", "target": None, "details": {}})
    assert await durable.prune_audit(3_000) == 2
    assert [e["ts"] for e in await durable.list_audit(10)] == [3_000, 3_000]
    assert await durable.prune_audit(3_000) == 0
    for day in ("2026-01-31", "2026-02-01", "2026-02-02"):
        await durable.add_stats(day, {"conversations:total": 5, "language:sv": 5})
    assert await durable.prune_stats("2026-02-01") == 1
    assert {d for d, _, _ in await durable.get_stats("2000-01-01", "2100-01-01")} == {"2026-02-01", "2026-02-02"}
    assert await durable.prune_stats("2026-02-01") == 0


# --- centres (issue 19) ------------------------------------------------------------------
def centre(cid: str, **kw):
    return {"id": cid, "names": {"sv": cid.title()}, "county": None, "municipalities": [], **kw}


async def test_centres_crud(durable):
    assert await durable.list_centres() == []
    await durable.create_centre(centre("skane", county="12"))
    await durable.create_centre(centre("dalarna", county="20", municipalities=["2080"]))
    assert [c["id"] for c in await durable.list_centres()] == ["dalarna", "skane"]
    assert (await durable.get_centre("dalarna"))["municipalities"] == ["2080"]
    assert await durable.get_centre("nope") is None
    with pytest.raises(Conflict):
        await durable.create_centre(centre("skane"))
    updated = await durable.update_centre("skane", {"names": {"sv": "RC Skåne"}, "id": "hijack"})
    assert updated["id"] == "skane" and updated["names"] == {"sv": "RC Skåne"} and updated["county"] == "12"
    assert (await durable.get_centre("skane"))["names"] == {"sv": "RC Skåne"}
    assert await durable.get_centre("hijack") is None
    assert await durable.update_centre("nope", {"county": "01"}) is None


async def test_concurrent_centre_updates_both_apply(durable):
    await durable.create_centre(centre("skane"))
    await asyncio.gather(
        durable.update_centre("skane", {"county": "12"}), durable.update_centre("skane", {"municipalities": ["1280"]})
    )
    record = await durable.get_centre("skane")
    assert record["county"] == "12" and record["municipalities"] == ["1280"]


async def test_a_centre_keeps_its_overflow_order_and_an_unset_threshold(durable):
    """The overflow settings (services/centres.py) are extra fields of the record: a list
    whose order matters and a threshold that ``null`` unsets (a merge cannot delete)."""
    await durable.create_centre(centre("skane", overflow=["nkt"], overflow_wait_s=900))
    await asyncio.gather(
        durable.update_centre("skane", {"overflow": ["kronoberg", "blekinge", "nkt"]}),
        durable.update_centre("skane", {"names": {"sv": "RC Skåne"}}),
    )
    await durable.update_centre("skane", {"overflow_wait_s": None})
    record = await durable.get_centre("skane")
    assert record["overflow"] == ["kronoberg", "blekinge", "nkt"] and record["names"] == {"sv": "RC Skåne"}
    assert "overflow_wait_s" in record and record["overflow_wait_s"] is None


async def test_stats_are_kept_per_centre_and_summed_nationally(durable):
    await durable.add_stats("2026-11-20", {"conversations:total": 2, "audience:self": 2})
    await durable.add_stats("2026-11-20", {"conversations:total": 1, "audience:other": 1}, centre="skane")
    await durable.add_stats("2026-11-21", {"conversations:total": 4}, centre="skane")
    assert await durable.get_stats("2026-11-01", "2026-11-30") == [
        ("2026-11-20", "audience:self", 2),
        ("2026-11-20", "conversations:total", 2),
    ]
    assert await durable.get_stats("2026-11-01", "2026-11-30", centre="skane") == [
        ("2026-11-20", "audience:other", 1),
        ("2026-11-20", "conversations:total", 1),
        ("2026-11-21", "conversations:total", 4),
    ]
    assert await durable.get_stats("2026-11-01", "2026-11-30", centre=None) == [
        ("2026-11-20", "audience:other", 1),
        ("2026-11-20", "audience:self", 2),
        ("2026-11-20", "conversations:total", 3),
        ("2026-11-21", "conversations:total", 4),
    ]
    assert await durable.get_stats("2026-11-01", "2026-11-30", centre="dalarna") == []
    # Pruning counts a day once, however many centres had counters on it.
    assert await durable.prune_stats("2026-11-21") == 1
    assert await durable.get_stats("2026-11-01", "2026-11-30", centre=None) == [
        ("2026-11-21", "conversations:total", 4)
    ]


async def test_audit_is_listed_per_centre(durable):
    def entry(ts: int, centres: list[str]):
        return {"ts": ts, "actor": "a", "action": "hours_update", "target": "hours", "details": {}, "centres": centres}

    await durable.add_audit(entry(1_000, ["default"]))
    await durable.add_audit(entry(2_000, ["skane"]))
    await durable.add_audit(entry(3_000, ["skane", "default"]))
    await durable.add_audit(entry(4_000, []))  # installation-wide
    assert [e["ts"] for e in await durable.list_audit(10)] == [4_000, 3_000, 2_000, 1_000]
    assert [e["ts"] for e in await durable.list_audit(10, centre="skane")] == [3_000, 2_000]
    assert [e["ts"] for e in await durable.list_audit(10, centre="default")] == [3_000, 1_000]
    assert [e["ts"] for e in await durable.list_audit(1, before_ts=3_000, centre="skane")] == [2_000]
    assert (await durable.list_audit(1, centre="skane"))[0]["centres"] == ["default", "skane"]
    assert await durable.list_audit(10, centre="dalarna") == []
    assert await durable.prune_audit(2_500) == 2
    assert [e["ts"] for e in await durable.list_audit(10, centre="skane")] == [3_000]
    assert [e["ts"] for e in await durable.list_audit(10, centre="default")] == [3_000]
