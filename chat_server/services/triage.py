"""Triage: the structured form an operator fills in when a chat ends.

It is validated here and turned into aggregate counters at once; the form itself is
never stored. Several categories and actions may be chosen; everything but
``categories`` and ``risk`` is optional (gender in particular: many visitors never say,
and nobody should be pushed into a box).

When the visitor is under 18 and a category indicates harm, the console reminds the
operator of the duty to report (anmälningsplikt, socialtjänstlagen 14 kap. 1 §): a report
of concern (orosanmälan) to the social services of the municipality where the child
lives, and 112 in an emergency. :func:`report_duty` is the rule, :data:`SCHEMA` tells the
console what to show.
"""

from __future__ import annotations

from typing import Any, TypedDict

from .. import i18n
from .errors import MSG_INVALID, N_, ServiceError
from .events import Translator

CATEGORIES = (
    "honour_control",
    "forced_marriage",
    "child_marriage",
    "fgm",
    "violence",
    "threats",
    "other",
)
HARM_CATEGORIES = frozenset(CATEGORIES) - {"other"}
AUDIENCES = ("self", "other", "professional")
AGE_BANDS = ("under-13", "13-15", "16-17", "18-21", "22-26", "over-26", "unknown")
UNDER_18 = frozenset({"under-13", "13-15", "16-17"})
GENDERS = ("girl_woman", "boy_man", "non_binary", "other", "not_stated")
RISKS = ("low", "medium", "high", "acute")
ACTIONS = ("advice", "referral", "report_of_concern", "police_contacted", "safety_planning")
LANGUAGES_MAX = 16  # a locale code or "other"

# Labels for the console (literal msgids so Babel extracts them).
LABELS = {
    "honour_control": N_("Honour-related control"),
    "forced_marriage": N_("Forced marriage"),
    "child_marriage": N_("Child marriage"),
    "fgm": N_("Female genital mutilation"),
    "violence": N_("Violence"),
    "threats": N_("Threats"),
    "other": N_("Other"),
    "self": N_("The person themself"),
    "professional": N_("Professional"),
    "girl_woman": N_("Girl or woman"),
    "boy_man": N_("Boy or man"),
    "non_binary": N_("Non-binary"),
    "not_stated": N_("Not stated"),
    "low": N_("Low"),
    "medium": N_("Medium"),
    "high": N_("High"),
    "acute": N_("Acute"),
    "advice": N_("Advice and support"),
    "referral": N_("Referral"),
    "report_of_concern": N_("Report of concern to social services"),
    "police_contacted": N_("Police contacted"),
    "safety_planning": N_("Safety planning"),
    "under-13": N_("Under 13"),
    "13-15": N_("13–15 years"),
    "16-17": N_("16–17 years"),
    "18-21": N_("18–21 years"),
    "22-26": N_("22–26 years"),
    "over-26": N_("Over 26"),
    "unknown": N_("Unknown"),
}
# Visitors asking on behalf of someone else: "other" is both an audience and a
# category value, so the audience gets its own label.
AUDIENCE_OTHER_LABEL = N_("Someone worried about another person")

REPORT_DUTY_TEXT = N_(
    "The visitor may be under 18 and at risk of harm. You have a duty to report "
    "(Social Services Act, chapter 14, section 1): make a report of concern to the "
    "social services in the municipality where the child lives. In an emergency, call 112."
)

SCHEMA: dict[str, Any] = {
    "categories": list(CATEGORIES),
    "harm_categories": sorted(HARM_CATEGORIES),
    "audiences": list(AUDIENCES),
    "age_bands": list(AGE_BANDS),
    "under_18": sorted(UNDER_18),
    "genders": list(GENDERS),
    "risks": list(RISKS),
    "actions": list(ACTIONS),
    "required": ["categories", "risk"],
}


def _invalid() -> ServiceError:
    return ServiceError("invalid", MSG_INVALID)


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _invalid()
    return value


def _choices(value: Any, choices: tuple[str, ...], required: bool) -> list[str]:
    if not isinstance(value, list) or len(value) > len(choices):
        raise _invalid()
    out = [_choice(v, choices) for v in value]
    if required and not out:
        raise _invalid()
    return sorted(set(out))


class _Required(TypedDict):
    categories: list[str]
    risk: str
    actions: list[str]


class TriageForm(_Required, total=False):
    """A checked, normalised triage form (never stored; only :func:`counters`)."""

    audience: str
    age_band: str
    gender: str
    language: str


def validate(form: Any, supported_languages: tuple[str, ...]) -> TriageForm:
    """A checked, normalised triage form; ``invalid`` for unknown fields and values."""
    if not isinstance(form, dict):
        raise _invalid()
    known = {"categories", "audience", "age_band", "gender", "language", "risk", "actions"}
    if set(form) - known or "categories" not in form or "risk" not in form:
        raise _invalid()
    out: TriageForm = {
        "categories": _choices(form["categories"], CATEGORIES, required=True),
        "risk": _choice(form["risk"], RISKS),
        "actions": _choices(form.get("actions") or [], ACTIONS, required=False),
    }
    if form.get("audience") is not None:
        out["audience"] = _choice(form["audience"], AUDIENCES)
    if form.get("age_band") is not None:
        out["age_band"] = _choice(form["age_band"], AGE_BANDS)
    if form.get("gender") is not None:
        out["gender"] = _choice(form["gender"], GENDERS)
    if form.get("language") is not None:
        out["language"] = _choice(form["language"], (*supported_languages, "other"))
    return out


def counters(form: TriageForm | None) -> dict[str, int]:
    """The aggregate counters a validated form adds (nothing when no form was given)."""
    if not form:
        return {"triage:missing": 1}
    out = {"triage:recorded": 1, f"risk:{form['risk']}": 1}
    for category in form["categories"]:
        out[f"category:{category}"] = 1
    for action in form["actions"]:
        out[f"action:{action}"] = 1
    out[f"gender:{form.get('gender') or 'not_stated'}"] = 1
    out[f"assessed_age_band:{form.get('age_band') or 'unknown'}"] = 1
    if form.get("audience"):
        out[f"assessed_audience:{form['audience']}"] = 1
    if form.get("language"):
        out[f"assessed_language:{form['language']}"] = 1
    return out


def report_duty(age_band: str | None, categories: list[str] | tuple[str, ...]) -> bool:
    """True when the duty-to-report reminder applies: under 18 and signs of harm."""
    return age_band in UNDER_18 and bool(HARM_CATEGORIES.intersection(categories))


def schema_for(locale: str, translate: Translator) -> dict[str, Any]:
    """:data:`SCHEMA` with every option labelled in ``locale``, the languages for the
    language field and the duty-to-report text (``GET /api/triage``)."""

    def label(value: str, audience: bool = False) -> str:
        if audience and value == "other":
            return translate(locale, AUDIENCE_OTHER_LABEL)
        msgid = LABELS.get(value)
        return translate(locale, msgid) if msgid else value

    schema = dict(SCHEMA)
    schema["labels"] = {
        "categories": {c: label(c) for c in CATEGORIES},
        "audiences": {a: label(a, audience=True) for a in AUDIENCES},
        "age_bands": {a: label(a) for a in AGE_BANDS},
        "genders": {g: label(g) for g in GENDERS},
        "risks": {r: label(r) for r in RISKS},
        "actions": {a: label(a) for a in ACTIONS},
    }
    schema["languages"] = [{"code": lang.code, "name": lang.name} for lang in i18n.LANGUAGES]
    schema["report_duty_text"] = translate(locale, REPORT_DUTY_TEXT)
    return schema
