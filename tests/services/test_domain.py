"""services/domain.py: records round-trip, and records written before a field existed
still load."""

from __future__ import annotations

from dataclasses import replace

from chat_server.services.domain import Conversation, Offer, StoredMessage, VisitorSession

CONV = Conversation(
    id="c1",
    state="active",
    created_at=1_000,
    waiting_since=1_000,
    locale="ar",
    audience="professional",
    pseudonym="K7M2",
    session_key="k",
    topic="fgm",
    urgent=True,
    age_band="16-17",
    accepted_at=2_000,
    operator_id="s1",
    operator_name="Sara",
    invited_ids=("s2",),
    observer_ids=("s3", "s1"),
    staff_names={"s2": "Ali"},
    offer=Offer("s4", 9_000, True),
    passed=("s5",),
    interpreter_needed=True,
    referral_types=("police",),
    followup_issued=True,
    version=7,
)


def test_a_conversation_round_trips_through_its_record() -> None:
    assert Conversation.from_record(CONV.to_record()) == CONV


def test_a_record_from_before_versions_and_console_fields_loads_with_defaults() -> None:
    old = {
        "id": "c1",
        "state": "waiting",
        "created_at": 1,
        "waiting_since": 1,
        "accepted_at": None,
        "locale": "sv",
        "audience": "self",
        "topic": None,
        "urgent": False,
        "age_band": None,
        "pseudonym": "K7M2",
        "session_key": "k",
        "operator_id": None,
        "operator_name": None,
        "visitor_connected": True,
        "visitor_away_since": None,
        "visitor_sid": "x",
    }
    conv = Conversation.from_record(old)
    assert (conv.version, conv.invited_ids, conv.offer, conv.staff_names, conv.passed) == (0, (), None, {}, ())
    assert replace(conv, version=1).to_record()["version"] == 1


def test_participants_and_who_may_write() -> None:
    assert CONV.staff_participants() == ("s1", "s2", "s3")
    assert CONV.may_write("s1") and CONV.may_write("s2") and not CONV.may_write("s3")
    assert CONV.is_assigned_to("s1") and not CONV.is_assigned_to("s2")
    assert not replace(CONV, state="ended").may_write("s1")


def test_sessions_and_messages_round_trip_and_the_token_is_not_stored() -> None:
    sess = VisitorSession("key", "secret-token", "K7M2", "ti", "c1", 3)
    record = sess.to_record()
    assert "secret-token" not in str(record)
    assert VisitorSession.from_record("key", "secret-token", record) == sess
    message = StoredMessage("m1", "system", 5, "enc", code="transferred", internal=True)
    assert StoredMessage.from_record({**message.to_record(), "seq": 2}) == message


def test_a_new_record_is_sparse_and_a_newer_releases_fields_are_ignored() -> None:
    fresh = replace(CONV, invited_ids=(), observer_ids=(), staff_names={}, offer=None, passed=(), version=0)
    sparse = fresh.to_record(sparse=True)
    assert "invited_ids" not in sparse and "offer" not in sparse and "version" not in sparse
    assert Conversation.from_record(sparse) == fresh
    assert Conversation.from_record({**CONV.to_record(), "from_the_future": [1]}) == CONV
