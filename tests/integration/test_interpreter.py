"""Issue 17 point 3 over real sockets: a counsellor who does not write the visitor's
language takes the chat; the visitor is told in their language (live, and again in the
history after a resume), staff see ``interpreter_needed``; a transfer to a colleague
who writes it clears the flag."""

from __future__ import annotations


async def test_the_visitor_is_told_and_the_flag_follows_the_chat(server, visitor, operator) -> None:
    sara, _ = await operator(languages=["sv", "en"], name="Sara")
    creds = await server.create_staff(languages=["sv", "ti"], name="Ali")
    ali, _ = await operator(creds)
    v = await visitor(auth={"locale": "ti"})
    cid = (await v.call("start", {"audience": "self"}))["conversation"]["id"]

    accepted = await sara.call("accept", {"conversation_id": cid})
    assert accepted["ok"] and accepted["conversation"]["interpreter_needed"] is True
    told = await v.wait_for("message", lambda m: m.get("code") == "interpreter")
    assert told["from"] == "system" and told["text"] == "ኣማኻሪ ብሽወደንኛ ወይ ብእንግሊዝኛ ይጽሕፉ፣ ተርጓማይ ከእትዉ ድማ ይኽእሉ እዮም።"
    staff_line = await sara.wait_for("message", lambda m: m.get("code") == "interpreter")
    assert staff_line["text"].startswith("Besökaren har fått veta")

    # A resume replays the notice once, in order after "joined".
    token = (v.received("session")[0])["token"]
    await v.disconnect()
    back = await visitor(auth={"resume": token})
    history = (await back.wait_for("history"))["messages"]
    assert [m.get("code") for m in history] == ["operator_joined", "interpreter"]

    moved = await sara.call("transfer", {"conversation_id": cid, "to": creds.id, "note": None})
    assert moved["ok"] and moved["conversation"]["interpreter_needed"] is False
    assigned = await ali.wait_for("assigned", lambda d: d["conversation"]["id"] == cid)
    assert assigned["conversation"]["interpreter_needed"] is False
    await back.wait_for("message", lambda m: m.get("code") == "operator_joined" and "Ali" in m["text"])
    assert [m.get("code") for m in back.received("message")].count("interpreter") == 0
