"""Canned responses: short ready-made replies per locale, so an operator can answer in
the visitor's language even when they do not write it.

The defaults below are msgids translated through the catalogs into every locale; an
admin can replace the list of any locale. Each centre has its own lists (durable
document ``canned`` in the namespace ``centre:<id>``, services/centre_domain.py). Each item is
``{"id", "title", "text"}``; ``text`` may hold ``{name}`` (the operator's display name).
"""

from __future__ import annotations

import re
from typing import Any

from ..i18n import SUPPORTED
from ..storage.base import Durable
from .centre_domain import DEFAULT_CENTRE, centre_namespace
from .documents import Document, edit_document
from .errors import MSG_INVALID, N_, ServiceError
from .events import Translator

DOC = "canned"
MAX_ITEMS = 50
ID = re.compile(r"^[a-z0-9_-]{1,40}$")

DEFAULTS: tuple[tuple[str, str, str], ...] = (
    (
        "greeting",
        N_("Greeting"),
        N_("Hi, my name is {name}. I am here to listen. What would you like to talk about?"),
    ),
    (
        "anonymous",
        N_("You are anonymous"),
        N_("You are anonymous here. I cannot see who you are or where you are writing from."),
    ),
    (
        "danger",
        N_("Danger now"),
        N_("If you are in danger right now, call 112. You can keep writing to me as well."),
    ),
    ("wait", N_("One moment"), N_("Thank you for waiting. I will be back in a moment.")),
    (
        "goodbye",
        N_("Goodbye"),
        N_("Thank you for writing to us. You are welcome back whenever you want."),
    ),
)


class Canned:
    def __init__(self, durable: Durable, translate: Translator) -> None:
        self.durable = durable
        self.t = translate

    def defaults(self, locale: str) -> list[dict[str, str]]:
        return [{"id": i, "title": self.t(locale, title), "text": self.t(locale, text)} for i, title, text in DEFAULTS]

    async def _doc(self, centre: str) -> dict[str, Any]:
        return await self.durable.get_kv(centre_namespace(centre), DOC) or {}

    async def for_locale(self, locale: str, centre: str = DEFAULT_CENTRE) -> list[dict[str, str]]:
        """The centre's items for ``locale`` (its own list, else the defaults)."""
        custom = (await self._doc(centre)).get(locale)
        return list(custom) if custom else self.defaults(locale)

    async def all(self, centre: str = DEFAULT_CENTRE) -> dict[str, dict[str, Any]]:
        """Every locale of ``centre``: its items and whether they are the translated defaults."""
        doc = await self._doc(centre)
        return {
            code: {"custom": bool(doc.get(code)), "items": doc.get(code) or self.defaults(code)} for code in SUPPORTED
        }

    async def set_locale(self, locale: str, items: Any, centre: str = DEFAULT_CENTRE) -> list[dict[str, str]]:
        """Replace one locale's list of ``centre`` (an empty list restores the
        defaults); ``invalid`` for a bad list."""
        if locale not in SUPPORTED or not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ServiceError("invalid", MSG_INVALID)
        clean = []
        for item in items:
            if not isinstance(item, dict) or set(item) - {"id", "title", "text"}:
                raise ServiceError("invalid", MSG_INVALID)
            ident, title, text = item.get("id"), item.get("title"), item.get("text")
            if not (isinstance(ident, str) and ID.match(ident)):
                raise ServiceError("invalid", MSG_INVALID)
            if not (isinstance(title, str) and 0 < len(title.strip()) <= 80):
                raise ServiceError("invalid", MSG_INVALID)
            if not (isinstance(text, str) and 0 < len(text.strip()) <= 2000):
                raise ServiceError("invalid", MSG_INVALID)
            clean.append({"id": ident, "title": title.strip(), "text": text.strip()})

        def with_locale(doc: Document | None) -> Document:
            # This language's list only, on the document as it is when written: two
            # admins saving two languages at once both keep theirs (services/documents.py).
            doc = dict(doc or {})
            if clean:
                doc[locale] = clean
            else:
                doc.pop(locale, None)
            return doc

        await edit_document(self.durable, centre_namespace(centre), DOC, with_locale)
        return clean or self.defaults(locale)
