"""What stays behind is coarse and does not stay forever: audit rows about conversations
have no conversation id and an hour for a time (staff logins keep theirs), and the
audit log and the statistics are deleted after their retention periods."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from chat_server.config import Secret, SettingsError, load_settings
from chat_server.services.audit import CONVERSATION_ACTIONS, Audit, audit_entry
from chat_server.services.retention import Retention
from chat_server.storage.sqlite import SqliteDurable
from tests.conftest import connect_operator

HOUR_MS = 3600 * 1000


def test_every_conversation_action_is_coarsened() -> None:
    now = 1_767_225_600_000 + 14 * HOUR_MS + 2 * 60_000 + 31_512  # 14:02:31.512
    for action in CONVERSATION_ACTIONS:
        entry = audit_entry("staff-1", action, "conv-123", {"to": "staff-2", "types": ["police"], "joined": True}, now)
        assert entry["ts"] == now - now % HOUR_MS and entry["target"] is None
        assert entry["details"] == {"to": "staff-2", "joined": True}
        assert "conv-123" not in repr(entry) and "police" not in repr(entry)
    login = audit_entry("staff-1", "login", "staff-1", {}, now)
    assert login["ts"] == now and login["target"] == "staff-1"
    with pytest.raises(ValueError):
        audit_entry("staff-1", "something_new", None, {}, now)


async def test_a_real_chat_leaves_coarse_audit_rows(server, visitor, clients) -> None:
    creds = await server.create_staff()
    before = int(time.time() * 1000)
    op, _ = await connect_operator(server.url, creds, clients)
    v = await visitor()
    cid = (await v.call("start", {"audience": "self"}))["conversation"]["id"]
    await op.wait_for("queue", lambda d: any(i["id"] == cid for i in d["items"]))
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    assert (await op.call("end", {"conversation_id": cid}))["ok"]
    rows = await server.durable.list_audit(50)
    by_action = {r["action"]: r for r in rows}
    for action in ("accept", "end"):
        row = by_action[action]
        assert row["target"] is None and row["ts"] % HOUR_MS == 0 and row["actor"] == creds.id
    assert cid not in repr(rows)
    login = by_action["login"]
    assert login["target"] == creds.id and login["ts"] >= before  # exact, not rounded


async def test_retention_deletes_old_audit_rows_and_whole_months_of_statistics(tmp_path: Path) -> None:
    durable = SqliteDurable(tmp_path / "rc.sqlite3")
    await durable.open()
    try:
        now = time.mktime((2026, 6, 15, 12, 0, 0, 0, 0, -1))
        old = Audit(durable, clock=lambda: now - 731 * 86400)
        recent = Audit(durable, clock=lambda: now - 729 * 86400)
        await old.record("a", "login", "a")
        await recent.record("a", "login", "a")
        for day in ("2023-05-31", "2023-06-01", "2023-06-30", "2024-01-01"):
            await durable.add_stats(day, {"conversations:total": 7})
        retention = Retention(durable, audit_days=730, stats_days=1096, clock=lambda: now)
        # 1096 days before 2026-06-15 is 2023-06-15: June 2023 is kept whole.
        assert retention.stats_cutoff() == date(2023, 6, 1)
        swept = await retention.sweep()
        assert (swept.audit_rows, swept.stats_days) == (1, 1)
        assert len(await durable.list_audit(10)) == 1
        days = {d for d, _, _ in await durable.get_stats("2000-01-01", "2100-01-01")}
        assert days == {"2023-06-01", "2023-06-30", "2024-01-01"}
        forever = Retention(durable, audit_days=0, stats_days=0, clock=lambda: now + 10**9)
        assert await forever.sweep() == type(swept)(0, 0)
    finally:
        await durable.close()


async def test_the_server_sweeps_at_start(tmp_path: Path, server_factory) -> None:
    key = Secret("retention-test-key-" + "k" * 20)
    data = tmp_path / "kept"
    first = await server_factory(data_dir=data, secret_key=key)
    await first.durable.add_audit({"ts": 1_000, "actor": "a", "action": "login", "target": "a", "details": {}})
    await first.durable.add_stats("2001-01-01", {"conversations:total": 9})
    await first.stop()
    again = await server_factory(data_dir=data, secret_key=key)
    assert await again.durable.list_audit(10) == []
    assert await again.durable.get_stats("2000-01-01", "2002-01-01") == []
    assert again.services.retention.audit_days == 730


def test_retention_settings() -> None:
    settings = load_settings(env={})
    assert (settings.audit_retention_days, settings.stats_retention_days) == (730, 1096)
    assert load_settings(env={"CHAT_AUDIT_RETENTION_DAYS": "0"}).audit_retention_days == 0
    with pytest.raises(SettingsError):
        load_settings(env={"CHAT_STATS_RETENTION_DAYS": "-1"})
