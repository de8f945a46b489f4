"""The referral directory data and cards (services/referrals.py)."""

from __future__ import annotations

import pytest

from chat_server.i18n import SUPPORTED, Catalogs
from chat_server.services.referral_cards import TEXTS, card
from chat_server.services.referrals import InvalidReceiver, load_seed, validate_receiver


def test_seed_validates_and_covers_dalarna() -> None:
    receivers = [validate_receiver(r, SUPPORTED) for r in load_seed()]
    municipal = [r for r in receivers if r["area"]["kind"] == "municipality"]
    assert len(municipal) == 15 and all(r["verify"] for r in municipal)
    assert len({r["area"]["code"] for r in municipal}) == 15
    assert all(not r["verify"] for r in receivers if r["area"]["kind"] == "national")
    assert len({r["id"] for r in receivers}) == len(receivers)


def test_cards_in_every_locale() -> None:
    catalogs = Catalogs()
    for receiver in load_seed():
        r = validate_receiver(receiver, SUPPORTED)
        for locale in SUPPORTED:
            c = card(r, locale, catalogs)
            assert c["what"] and c["say"] and c["rights"] and c["how"] and c["name"] == r["name"]
    assert set(TEXTS) >= {
        "social_services",
        "police",
        "healthcare",
        "civil_society",
        "national_helpline",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"id": "Bad Id"},
        {"type": "church"},
        {"channels": []},
        {"channels": [{"kind": "web", "value": "javascript:alert(1)"}]},
        {"channels": [{"kind": "fax", "value": "1"}]},
        {"languages": ["de"]},
        {"verify": "yes"},
        {"secret": 1},
        {"name": ""},
        {"area": {"kind": "municipality"}},
    ],
)
def test_bad_receivers_are_refused(change: dict) -> None:
    good = {
        "id": "x-1",
        "type": "police",
        "name": "Polisen",
        "channels": [{"kind": "phone", "value": "114 14"}],
    }
    validate_receiver(good, SUPPORTED)
    with pytest.raises(InvalidReceiver):
        validate_receiver({**good, **change}, SUPPORTED)
