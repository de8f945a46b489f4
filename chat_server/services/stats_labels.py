"""Words for the statistics: every dimension and every value a report can hold, in the
reader's language, so the dashboard and the CSV export never show a raw key ("missing",
"issued", "0-1m").

The values come from the same tuples the counters and the protection plan use
(services/stats_protection.py), so a new value without a label fails the unit test
(tests/unit/test_stats_labels.py) instead of reaching a coordinator as a code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from .. import i18n
from . import triage
from .errors import N_
from .events import Translator
from .referral_cards import TYPE_LABELS
from .stats_protection import (
    DURATIONS,
    FEEDBACK_ANSWERS,
    OUTCOMES,
    OVERFLOW,
    VISITOR_AGE_BANDS,
    VISITOR_AUDIENCES,
    VISITOR_TOPICS,
    WAITS,
)

DIMENSION_TITLES: dict[str, str] = {
    "conversations": N_("Conversations"),
    "outcome": N_("How chats ended"),
    "audience": N_("Who got in touch"),
    "topic": N_("Topic chosen by the visitor"),
    "language": N_("Language"),
    "age_band": N_("Age given by the visitor"),
    "urgent": N_("Started as urgent"),
    "wait": N_("Waiting time before an answer"),
    "duration": N_("Length of answered chats"),
    "triage": N_("Triage form"),
    "triage_skip": N_("Why the triage was skipped"),
    "category": N_("What the chat was about (triage)"),
    "risk": N_("Risk level (triage)"),
    "action": N_("Actions taken (triage)"),
    "gender": N_("Gender (triage)"),
    "assessed_age_band": N_("Age (triage)"),
    "assessed_audience": N_("Who the chat was with (triage)"),
    "assessed_language": N_("Language of the chat (triage)"),
    "referral": N_("Referrals by type"),
    "interpreter": N_("Interpreter"),
    "followup": N_("Follow-up codes"),
    "feedback": N_("Did the visitor get the help they needed? (their own answer)"),
    "overflow": N_("Chats between resource centres (overflow)"),
}

_WORDS: dict[str, dict[str, str]] = {
    "conversations": {"total": N_("All conversations")},
    "outcome": {
        "visitor_ended": N_("Ended by the visitor"),
        "visitor_exit": N_("Quick exit"),
        "operator_ended": N_("Ended by the counsellor"),
        "abandoned": N_("The visitor did not come back"),
        "blocked": N_("Blocked"),
    },
    "audience": {
        "self": N_("About themselves"),
        "other": N_("Worried about someone"),
        "professional": N_("Professional"),
        "unknown": N_("Not given"),
    },
    "topic": {
        "control": N_("Control and restrictions"),
        "marriage": N_("Marriage"),
        "fgm": N_("Female genital mutilation"),
        "violence": N_("Violence or threats"),
        "other": N_("Something else"),
        "none": N_("Not given"),
    },
    "age_band": {
        "13-15": N_("13–15 years"),
        "16-17": N_("16–17 years"),
        "18-21": N_("18–21 years"),
        "22-26": N_("22–26 years"),
        "over-26": N_("Over 26"),
        "unknown": N_("Not given"),
    },
    "urgent": {"yes": N_("Urgent"), "no": N_("Not urgent")},
    "wait": {
        "0-1m": N_("Under 1 minute"),
        "1-5m": N_("1–5 minutes"),
        "5-15m": N_("5–15 minutes"),
        "15-30m": N_("15–30 minutes"),
        "30m+": N_("30 minutes or more"),
        "unanswered": N_("Not answered"),
    },
    "duration": {
        "0-5m": N_("Under 5 minutes"),
        "5-15m": N_("5–15 minutes"),
        "15-30m": N_("15–30 minutes"),
        "30-60m": N_("30–60 minutes"),
        "60m+": N_("An hour or more"),
    },
    "triage": {"recorded": N_("Filled in"), "skipped": N_("Skipped with a reason"), "missing": N_("Not filled in")},
    "interpreter": {"needed": N_("Interpreter needed")},
    "followup": {"issued": N_("Codes given"), "returned": N_("Visitors who came back with a code")},
    "feedback": {"yes": N_("Yes"), "partly": N_("Partly"), "no": N_("No")},
    "overflow": {
        "out": N_("Went to another centre"),
        "in": N_("Came from another centre"),
    },
}


class StatsLabels(TypedDict):
    """``dimensions``: dimension -> title; ``values``: dimension -> value -> label."""

    dimensions: dict[str, str]
    values: dict[str, dict[str, str]]


def _triage_values(translate: Translator, locale: str) -> dict[str, dict[str, str]]:
    schema = triage.schema_for(locale, translate)["labels"]
    return {
        "category": dict(schema["categories"]),
        "risk": dict(schema["risks"]),
        "action": dict(schema["actions"]),
        "gender": dict(schema["genders"]),
        "assessed_age_band": dict(schema["age_bands"]),
        "assessed_audience": dict(schema["audiences"]),
        "triage_skip": dict(schema["skip_reasons"]),
    }


def stats_labels(
    locale: str, translate: Translator, language_label: Callable[[str, str], str] | None = None
) -> StatsLabels:
    """Every dimension title and value label in ``locale``. ``language_label(code,
    locale)`` names a language (i18n.Catalogs.language_label); without it the
    language's own name is used."""

    def lang(code: str) -> str:
        if language_label is not None:
            return str(language_label(code, locale))
        return i18n.BY_CODE[code].name if code in i18n.BY_CODE else code

    values: dict[str, dict[str, str]] = {
        dim: {value: str(translate(locale, msgid)) for value, msgid in words.items()} for dim, words in _WORDS.items()
    }
    values.update(_triage_values(translate, locale))
    values["referral"] = {t: str(translate(locale, msgid)) for t, msgid in TYPE_LABELS.items()}
    other_language = str(translate(locale, N_("Another language")))
    values["language"] = {**{code: lang(code) for code in i18n.SUPPORTED}, "unknown": values["audience"]["unknown"]}
    values["assessed_language"] = {**{code: lang(code) for code in i18n.SUPPORTED}, "other": other_language}
    return {
        "dimensions": {dim: str(translate(locale, msgid)) for dim, msgid in DIMENSION_TITLES.items()},
        "values": values,
    }


#: Every value the counters can hold, per dimension (for the unit test).
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "outcome": OUTCOMES,
    "audience": VISITOR_AUDIENCES,
    "topic": VISITOR_TOPICS,
    "age_band": VISITOR_AGE_BANDS,
    "wait": WAITS,
    "duration": DURATIONS,
    "feedback": FEEDBACK_ANSWERS,
    "overflow": OVERFLOW,
}
