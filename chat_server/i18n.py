"""Languages: negotiation, gettext catalogs, right-to-left, locale-aware formatting.

One gettext catalog per language in ``locales/<lang>/LC_MESSAGES/messages.po`` covers
the server, the widget and the console. The server loads the compiled ``.mo`` files
and hands the front ends the same catalog as JSON (``GET /i18n/<locale>.json``).
Swedish is the default and the fallback.
"""

from __future__ import annotations

import gettext
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.support import Translations

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LOCALE = "sv"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in its own script
    dir: str  # "ltr" | "rtl"


LANGUAGES: tuple[Language, ...] = (
    Language("sv", "Svenska", "ltr"),
    Language("en", "English", "ltr"),
    Language("ar", "العربية", "rtl"),
    Language("fa", "فارسی", "rtl"),
    Language("ckb", "کوردی (سۆرانی)", "rtl"),
    Language("ku", "Kurdî (Kurmancî)", "ltr"),
    Language("so", "Soomaali", "ltr"),
    Language("ti", "ትግርኛ", "ltr"),
    Language("tr", "Türkçe", "ltr"),
)
BY_CODE = {lang.code: lang for lang in LANGUAGES}
SUPPORTED = tuple(BY_CODE)
# Used by tests to find hard-coded text: every translated string is visibly marked.
PSEUDO_LOCALE = "qps"


def is_supported(code: object) -> bool:
    return isinstance(code, str) and code in BY_CODE


def direction(code: str) -> str:
    return BY_CODE[code].dir if code in BY_CODE else "ltr"


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            weighted.append((-q, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(preferred: list[str], default: str = DEFAULT_LOCALE) -> str:
    """Pick the best supported locale for a list of language tags (BCP 47 or POSIX)."""
    normalized = [p.replace("_", "-") for p in preferred]
    # Babel matches 'ar-SE' to 'ar'; aliases cover tags people really send.
    aliases = {"prs": "fa", "fa-AF": "fa", "kmr": "ku", "sdh": "ckb", "nb": "sv", "nn": "sv", "da": "sv"}
    expanded: list[str] = []
    for tag in normalized:
        expanded.append(aliases.get(tag, tag))
    found = negotiate_locale(expanded, list(SUPPORTED), sep="-")
    return found or default


class Catalogs:
    """Loaded translations, one per supported locale (plus the pseudo-locale)."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self.dir = locales_dir
        self._translations: dict[str, gettext.NullTranslations] = {}
        for code in (*SUPPORTED, PSEUDO_LOCALE):
            mo = locales_dir / code / "LC_MESSAGES" / "messages.mo"
            if mo.exists():
                self._translations[code] = Translations.load(str(locales_dir), [code])
            elif code != PSEUDO_LOCALE:
                self._translations[code] = gettext.NullTranslations()
        missing = [c for c in SUPPORTED if isinstance(self._translations[c], gettext.NullTranslations) and c != "en"]
        if missing:
            log.warning("no compiled catalog for %s; run `python -m chat_server locales compile`", ",".join(missing))

    def has(self, code: str) -> bool:
        return code in self._translations

    def gettext(self, locale: str, msgid: str, **params: Any) -> str:
        trans = self._translations.get(locale) or self._translations.get(DEFAULT_LOCALE)
        text = trans.gettext(msgid) if trans else msgid
        if params:
            try:
                return text.format(**params)
            except (KeyError, IndexError, ValueError):
                # A broken translation must not break the chat: use the source text.
                return msgid.format(**params)
        return text

    __call__ = gettext

    def ngettext(self, locale: str, singular: str, plural: str, n: int, **params: Any) -> str:
        trans = self._translations.get(locale) or self._translations.get(DEFAULT_LOCALE)
        text = trans.ngettext(singular, plural, n) if trans else (singular if n == 1 else plural)
        return text.format(n=n, **params)

    @lru_cache(maxsize=32)  # noqa: B019 - catalogs live as long as the app
    def as_json(self, locale: str) -> dict[str, Any]:
        """The catalog for the front ends: msgid -> msgstr (plural forms as lists)."""
        trans = self._translations.get(locale)
        messages: dict[str, Any] = {}
        catalog = getattr(trans, "_catalog", {}) or {}
        for key, value in catalog.items():
            if isinstance(key, tuple):
                msgid, index = key
                forms = messages.setdefault(msgid, [])
                if isinstance(forms, list):
                    while len(forms) <= index:
                        forms.append("")
                    forms[index] = value
            elif key:
                messages[key] = value
        lang = BY_CODE.get(locale, Language(locale, locale, "ltr"))
        plural = ""
        if locale in BY_CODE:
            plural = Locale.parse(locale).plural_form.rules.get("one", "") if locale != "ckb" else ""
        return {"locale": locale, "dir": lang.dir, "name": lang.name, "messages": messages, "plural_one": plural}


def locales_payload() -> dict[str, Any]:
    return {
        "default": DEFAULT_LOCALE,
        "locales": [{"code": lang.code, "name": lang.name, "dir": lang.dir} for lang in LANGUAGES],
    }
