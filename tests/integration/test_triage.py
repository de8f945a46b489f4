"""Triage at the end of a chat, through the real server: validated, turned into
aggregate counters only, the duty-to-report reminder for children at risk, and the
form's options for the console."""

from __future__ import annotations

import aiohttp

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
    assert (await all_counters(server)).get("triage:missing") == 1


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
    assert "112" in schema["report_duty_text"] and "14" in schema["report_duty_text"]
