"""Triage: the structured form an operator fills in when a chat ends.

It is validated here and turned into aggregate counters at once; the form itself is
never stored. Several categories and actions may be chosen; everything but
``categories`` and ``risk`` is optional (gender in particular: many visitors never say,
and nobody should be pushed into a box).

When the visitor is under 18 and the visitor's topic or an operator's category says
harm, the console reminds the operator of the duty to report (anmälningsskyldighet) of
the Social Services Act, socialtjänstlagen (2025:400), in force since 1 July 2025 (it
replaced socialtjänstlagen (2001:453), whose 14 kap. 1 § held the duty before): a report
of concern (orosanmälan) to the social services of the municipality where the child
lives, and 112 in an emergency. :data:`LAW` is the citation, the same Swedish words in
every locale. :func:`report_duty` is the rule, :data:`SCHEMA` tells the console what to
show.

An operator who does not fill in the form when the chat ends, and every chat the visitor
ends, leaves, or that is blocked, is triaged afterwards or skipped with a reason
(services/pending_triage.py): :data:`SKIP_REASONS`, counted as ``triage:skipped`` and
``triage_skip:<reason>``.
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
#: The visitor's own topics (``start``) that say harm: everything but "something else".
HARM_TOPICS = frozenset({"control", "marriage", "fgm", "violence"})
AUDIENCES = ("self", "other", "professional")
AGE_BANDS = ("under-13", "13-15", "16-17", "18-21", "22-26", "over-26", "unknown")
UNDER_18 = frozenset({"under-13", "13-15", "16-17"})
GENDERS = ("girl_woman", "boy_man", "non_binary", "other", "not_stated")
RISKS = ("low", "medium", "high", "acute")
ACTIONS = ("advice", "referral", "report_of_concern", "police_contacted", "safety_planning")
#: Why a chat was not triaged (``triage_skip``).
SKIP_REASONS = ("no_contact", "test", "abuse", "duplicate", "other")
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
SKIP_LABELS = {
    "no_contact": N_("The visitor left before we could talk"),
    "test": N_("A test or a mistake"),
    "abuse": N_("Abuse or a prank"),
    "duplicate": N_("The same visitor was triaged in another chat"),
    "other": N_("Another reason"),
}

#: The law behind the duty to report, cited in Swedish in every locale (a citation is
#: not translated). The duty for authorities and their staff to report concern about a
#: child is in the Social Services Act (SFS 2025:400), in force since 1 July 2025; the
#: chapter and section could not be verified from a primary source when this was
#: written, so the law is cited without them (under the old act it was 14 kap. 1 §).
LAW = "socialtjänstlagen (2025:400)"

REPORT_DUTY_TEXT = N_(
    "The visitor may be under 18 and at risk of harm. You have a duty to report this at "
    "once ({law}): make a report of concern to the social services in the municipality "
    "where the child lives, also if you are not sure. In an emergency, call 112."
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
    "harm_topics": sorted(HARM_TOPICS),
    "skip_reasons": list(SKIP_REASONS),
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


def skip_reason(value: Any) -> str:
    """A checked reason for skipping the triage; ``invalid`` otherwise."""
    return _choice(value, SKIP_REASONS)


def skip_counters(reason: str) -> dict[str, int]:
    """The aggregate counters of a triage skipped for ``reason``."""
    return {"triage:skipped": 1, f"triage_skip:{reason}": 1}


def counters(form: TriageForm | None) -> dict[str, int]:
    """The aggregate counters a validated form adds (``triage:missing`` when no form was
    given)."""
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


def report_duty(age_band: str | None, categories: list[str] | tuple[str, ...], topic: str | None = None) -> bool:
    """True when the duty-to-report reminder applies: the age band (the operator's
    assessment, else the visitor's answer) is under 18, and the visitor's ``topic`` or
    one of the operator's ``categories`` says harm. The duty itself: :data:`LAW`."""
    harm = topic in HARM_TOPICS or bool(HARM_CATEGORIES.intersection(categories))
    return age_band in UNDER_18 and harm


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
        "skip_reasons": {r: translate(locale, SKIP_LABELS[r]) for r in SKIP_REASONS},
    }
    schema["languages"] = [{"code": lang.code, "name": lang.name} for lang in i18n.LANGUAGES]
    schema["report_duty_text"] = translate(locale, REPORT_DUTY_TEXT, law=LAW)
    schema["law"] = LAW
    return schema
