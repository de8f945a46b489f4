"""The triage form (services/triage.py): validation, counters, and the duty-to-report
rule."""

from __future__ import annotations

import pytest

from chat_server.i18n import SUPPORTED
from chat_server.services import triage
from chat_server.services.errors import ServiceError

FULL = {
    "categories": ["forced_marriage", "threats"],
    "audience": "self",
    "age_band": "16-17",
    "gender": "non_binary",
    "language": "ar",
    "risk": "high",
    "actions": ["advice", "report_of_concern"],
}


def test_full_form_becomes_counters_only() -> None:
    form = triage.validate(FULL, SUPPORTED)
    counters = triage.counters(form)
    assert counters == {
        "triage:recorded": 1,
        "risk:high": 1,
        "category:forced_marriage": 1,
        "category:threats": 1,
        "action:advice": 1,
        "action:report_of_concern": 1,
        "gender:non_binary": 1,
        "assessed_age_band:16-17": 1,
        "assessed_audience:self": 1,
        "assessed_language:ar": 1,
    }


def test_minimal_form_and_missing_form() -> None:
    form = triage.validate({"categories": ["other"], "risk": "low"}, SUPPORTED)
    assert triage.counters(form)["gender:not_stated"] == 1
    assert triage.counters(None) == {"triage:missing": 1}


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "x",
        {"categories": [], "risk": "low"},
        {"categories": ["honour_control"]},
        {"categories": ["nope"], "risk": "low"},
        {"categories": ["fgm"], "risk": "extreme"},
        {"categories": ["fgm"], "risk": "low", "name": "Aisha"},  # no free text, ever
        {"categories": ["fgm"], "risk": "low", "gender": "f"},
        {"categories": ["fgm"], "risk": "low", "language": "de"},
        {"categories": ["fgm"], "risk": "low", "actions": "advice"},
        {"categories": "fgm", "risk": "low"},
        {"categories": ["fgm"] * 50, "risk": "low"},
    ],
)
def test_bad_forms_are_refused(bad) -> None:
    with pytest.raises(ServiceError) as err:
        triage.validate(bad, SUPPORTED)
    assert err.value.code == "invalid"


def test_duty_to_report_rule() -> None:
    assert triage.report_duty("13-15", ["fgm"])
    assert triage.report_duty("under-13", ["honour_control", "other"])
    assert not triage.report_duty("13-15", ["other"])
    assert not triage.report_duty("18-21", ["violence"])
    assert not triage.report_duty(None, ["violence"])
