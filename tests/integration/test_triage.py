"""Triage at the end of a chat, through the real server: validated, turned into
aggregate counters only, the duty-to-report reminder for children at risk, and the
form's options for the console."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from chat_server.transport import keys as K

FORM = {
    "categories": ["fgm", "threats"],
    "audience": "self",
    "age_band": "13-15",
    "gender": "girl_woman",
    "language": "so",
    "risk": "acute",
    "actions": ["advice", "report_of_concern", "safety_planning"],
}


async def active_chat(visitor, operator, **start):
    op, session = await operator()
    v = await visitor()
    ack = await v.call("start", {"audience": "self", **start})
    cid = ack["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    return op, session, v, cid


async def all_counters(server) -> dict[str, int]:
    out: dict[str, int] = {}
    for _day, key, n in await server.app[K.SERVICES].stats.totals("2000-01-01", "2999-12-31"):
        out[key] = out.get(key, 0) + n
    return out


async def test_end_with_triage_counts_it(server, visitor, operator):
    op, _, v, cid = await active_chat(visitor, operator, age_band="13-15")
    ack = await op.call("end", {"conversation_id": cid, "triage": FORM})
    assert ack == {"ok": True, "report_duty": True}
    await v.wait_for("ended")
    counters = await all_counters(server)
    for key in (
        "category:fgm",
        "category:threats",
        "risk:acute",
        "action:report_of_concern",
        "action:safety_planning",
        "gender:girl_woman",
        "assessed_age_band:13-15",
        "assessed_language:so",
        "triage:recorded",
        "conversations:total",
    ):
        assert counters.get(key) == 1, key
    # Nothing of the form is kept anywhere else.
    assert await server.ephemeral.get("conv", cid) is None
    assert "acute" not in repr(await server.durable.list_audit(50))


async def test_report_duty_only_for_children_with_harm(server, visitor, operator):
    op, _, v, cid = await active_chat(visitor, operator, age_band="22-26")
    check = await op.call(
        "triage_check",
        {"conversation_id": cid, "triage": {"categories": ["violence"], "risk": "medium"}},
    )
    assert check == {"ok": True, "report_duty": False}
    # The operator's own assessment of the age wins over the visitor's answer.
    check = await op.call(
        "triage_check",
        {
            "conversation_id": cid,
            "triage": {"categories": ["violence"], "risk": "medium", "age_band": "16-17"},
        },
    )
    assert check["report_duty"] is True
    check = await op.call(
        "triage_check",
        {
            "conversation_id": cid,
            "triage": {"categories": ["other"], "risk": "low", "age_band": "16-17"},
        },
    )
    assert check["report_duty"] is False
    ack = await op.call("end", {"conversation_id": cid, "triage": {"categories": ["other"], "risk": "low"}})
    assert ack == {"ok": True, "report_duty": False}


async def test_invalid_triage_is_refused_and_the_chat_goes_on(server, visitor, operator):
    op, _, v, cid = await active_chat(visitor, operator)
    for bad in (
        {"categories": ["fgm"]},
        {"categories": ["fgm"], "risk": "low", "note": "her name is …"},
        {"categories": ["x"], "risk": "low"},
    ):
        ack = await op.call("end", {"conversation_id": cid, "triage": bad})
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    assert (await server.repository.get_live(cid)).state == "active"
    assert (await op.call("end", {"conversation_id": cid}))["ok"]
    # Ended without a form: the chat waits in the operator's list for its triage.
    pending = await op.wait_for("triage_pending")
    assert pending["conversation_id"] == cid and pending["item"]["reason"] == "operator_ended"
    assert not any(k.startswith("triage:") for k in await all_counters(server))


async def test_triage_schema_for_the_console(server, operator):
    _, session = await operator(locale="en")
    async with aiohttp.ClientSession() as http:
        async with http.get(server.url + "/api/triage", headers={"Cookie": session.cookie}) as resp:
            assert resp.status == 200
            body = await resp.json()
        async with http.get(server.url + "/api/triage") as resp:
            assert resp.status == 401
    schema = body["triage"]
    assert schema["categories"] == [
        "honour_control",
        "forced_marriage",
        "child_marriage",
        "fgm",
        "violence",
        "threats",
        "other",
    ]
    assert schema["risks"] == ["low", "medium", "high", "acute"]
    assert "non_binary" in schema["genders"]
    assert schema["labels"]["categories"]["fgm"] == "Female genital mutilation"
    # The law is cited in Swedish in every locale: the act in force since 1 July 2025.
    assert "112" in schema["report_duty_text"] and "socialtjänstlagen (2025:400)" in schema["report_duty_text"]
    assert schema["law"] == "socialtjänstlagen (2025:400)" and "2001:453" not in schema["report_duty_text"]
    assert schema["harm_topics"] == ["control", "fgm", "marriage", "violence"]
    assert schema["skip_reasons"] == ["no_contact", "test", "abuse", "duplicate", "other"]
    assert schema["labels"]["age_bands"]["over-26"] == "Over 26"  # never a raw key
    assert set(schema["labels"]["skip_reasons"]) == set(schema["skip_reasons"])


async def test_every_chat_gets_its_triage_after_the_end(server, visitor, operator):
    op, _, v, cid = await active_chat(visitor, operator, age_band="16-17", topic="control")
    marks = await op.call("triage_marks", {"conversation_id": cid, "categories": ["threats"], "municipality": "2080"})
    assert marks["ok"] and marks["report_duty"] is True and marks["marks"]["municipality"] == "2080"
    assert (await op.wait_for("triage_marks"))["conversation_id"] == cid
    ack = await op.call("report_duty_ack", {"conversation_id": cid})
    assert ack["marks"]["acknowledged_by"]
    listed = await op.call("triage_list", {})
    assert listed["items"] == [] and listed["marks"][cid]["categories"] == ["threats"]

    assert (await v.call("exit", {}))["ok"]  # quick exit: the content is destroyed at once
    pending = await op.wait_for("triage_pending")
    item, tid = pending["item"], pending["item"]["id"]
    assert pending["conversation_id"] == cid and item["reason"] == "visitor_exit"
    assert item["marks"]["municipality"] == "2080" and item["marks"]["categories"] == ["threats"]
    listed = await op.call("triage_list", {})
    assert [i["id"] for i in listed["items"]] == [tid] and listed["marks"] == {}
    assert (await op.call("triage_marks", {"triage_id": tid, "municipality": "2062"}))["report_duty"] is True
    for bad, code in (
        ({"triage_id": tid, "triage": {"categories": ["x"], "risk": "low"}}, "invalid"),
        ({"triage_id": tid, "triage": "form"}, "invalid"),
        ({"triage_id": "nope", "triage": FORM}, "not_found"),
        ({"triage_id": cid, "triage": FORM}, "not_found"),
        ({"triage_id": tid}, "invalid"),
    ):
        refused = await op.call("triage", bad)
        assert refused["ok"] is False and refused["error"]["code"] == code, bad
        assert refused["error"]["message"]
    for bad in ({}, {"conversation_id": cid, "triage_id": tid}, {"triage_id": tid, "categories": "fgm"}):
        refused = await op.call("triage_marks", bad)
        assert refused["error"]["code"] == "invalid", bad
    saved = await op.call("triage", {"triage_id": tid, "triage": FORM})
    assert saved == {"ok": True, "report_duty": True}
    assert (await op.wait_for("triage_done")) == {"id": tid, "outcome": "recorded"}
    again = await op.call("triage_skip", {"triage_id": tid, "reason": "test"})
    assert again["error"]["code"] == "not_found"
    counters = await all_counters(server)
    assert counters["triage:recorded"] == 1 and counters["category:fgm"] == 1
    assert (await op.call("triage_list", {}))["items"] == []
    # Nothing of the marks or the entry is left in the store.
    keys = await server.ephemeral.keys_for_inspection()
    assert not [k for k in keys if cid in k]


async def test_skipping_needs_a_known_reason(server, visitor, operator):
    op, _, v, cid = await active_chat(visitor, operator)
    assert (await v.call("end", {}))["ok"]
    tid = (await op.wait_for("triage_pending"))["item"]["id"]
    for reason in ("", "x" * 40, "nope", None, 3):
        refused = await op.call("triage_skip", {"triage_id": tid, "reason": reason})
        assert refused["ok"] is False and refused["error"]["code"] in ("invalid", "too_large")
    assert (await op.call("triage_skip", {"triage_id": tid, "reason": "no_contact"})) == {"ok": True}
    counters = await all_counters(server)
    assert counters["triage:skipped"] == 1 and counters["triage_skip:no_contact"] == 1
    refused = await op.call("report_duty_ack", {"conversation_id": cid})
    assert refused["error"]["code"] == "not_found"


@pytest.mark.redis
async def test_two_processes_on_one_redis_count_a_triage_once(redis_server, server_factory, clients) -> None:
    """The visitor on one process, the operator's two consoles on two: the entry is
    listed on both, and saving it from both at once counts it once."""
    from chat_server.config import Secret

    from ..conftest import LiveServer
    from ..helpers import Recorder, login

    prefix_db = {"ephemeral_url": redis_server.url_db(6), "durable_url": redis_server.url_db(7)}
    shared = {**prefix_db, "secret_key": Secret("triage-two-processes-" + str(redis_server.port))}
    a: LiveServer = await server_factory(**shared)
    b: LiveServer = await server_factory(**shared)
    creds = await a.create_staff("operator", name="Sara")
    consoles = []
    for live in (a, b):
        session = await login(live.url, creds)
        rec = Recorder(live.url, "/operator", headers={"Cookie": session.cookie})
        clients.append(rec)
        await rec.connect()
        await rec.wait_for("session")
        consoles.append(rec)
    on_a, on_b = consoles
    assert (await on_a.call("duty", {"on": True}))["ok"]
    v = Recorder(b.url, "/visitor")
    clients.append(v)
    await v.connect()
    await v.wait_for("session")
    cid = (await v.call("start", {"audience": "self", "age_band": "16-17", "topic": "fgm"}))["conversation"]["id"]
    assert (await on_a.call("accept", {"conversation_id": cid}))["ok"]
    assert (await on_b.call("triage_marks", {"conversation_id": cid, "municipality": "2080"}))["report_duty"]
    assert (await v.call("end", {}))["ok"]
    tid = (await on_b.wait_for("triage_pending"))["item"]["id"]  # every console of Sara's
    await on_a.wait_for("triage_pending")
    assert [i["id"] for i in (await on_a.call("triage_list", {}))["items"]] == [tid]
    acks = await asyncio.gather(
        on_a.call("triage", {"triage_id": tid, "triage": FORM}),
        on_b.call("triage_skip", {"triage_id": tid, "reason": "duplicate"}),
    )
    assert sorted(x["ok"] for x in acks) == [False, True]
    assert [x["error"]["code"] for x in acks if not x["ok"]] == ["not_found"]
    counters = await all_counters(a)
    assert counters.get("triage:recorded", 0) + counters.get("triage:skipped", 0) == 1
    assert (await on_b.call("triage_list", {}))["items"] == []
