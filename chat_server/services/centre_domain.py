"""Resource centres on one installation: what a centre is and who belongs to it.

One installation serves several regional resource centres (resurscentrum) and the
national consultation line for professionals. Each centre has its own staff, opening
hours, local referral directory, canned responses, statistics and audit entries; the
national services of the referral directory are shared by all (issue 19).

* :class:`Centre`: a frozen value, stored in the durable store (``Durable.create_centre``
  and friends) as the JSON of :meth:`Centre.to_record`.
* A staff account record holds its memberships as ``"centres": {centre_id: role}``
  (one role per centre: operator, supervisor or admin) and ``"national_admin": bool``
  (manages centres: create, rename, set county and municipalities, assign staff).
  Every account belongs to at least one centre. The account's legacy ``role`` field is
  kept equal to its role in its *primary* centre (:func:`primary_centre`), so code that
  predates centres, and a rollback to the previous release, read a sensible role.
* Documents of a centre (opening hours, canned responses, local referral directory)
  are kept in the durable key-value store under :func:`centre_namespace`; the national
  referral directory stays in the namespace ``doc``.

An installation that predates centres is migrated into the centre :data:`DEFAULT_CENTRE`
(services/centre_migration.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, get_args

from ..storage.base import DEFAULT_CENTRE as STORE_DEFAULT_CENTRE
from .domain import Millis, Role

#: The centre of an installation from before centres, and of a conversation whose
#: widget names none.
DEFAULT_CENTRE = STORE_DEFAULT_CENTRE
#: The name of the centre ``default`` until an admin renames it.
DEFAULT_NAMES = {"sv": "Resurscentrum", "en": "Resource centre"}
#: A centre id: a slug, 2-40 characters, starting with a letter (so it never looks
#: like a date or a number in a storage key).
CENTRE_ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
#: SCB's county code (länskod, two digits) and municipality code (kommunkod, four
#: digits, the first two being the county's). Source: Statistics Sweden (SCB),
#: "Kommuner i kodnummerordning", see chat_server/data/municipalities.json.
COUNTY_CODE = re.compile(r"^[0-9]{2}$")
MUNICIPALITY_CODE = re.compile(r"^[0-9]{4}$")
#: Who a centre takes: everyone, or only professionals (the national consultation line).
CentreAudience = Literal["all", "professional"]
CENTRE_AUDIENCES: tuple[CentreAudience, ...] = get_args(CentreAudience)
MAX_NAME = 120
MAX_MUNICIPALITIES = 400
#: The wait (s) beyond which a centre offers its visitors another one, unless its record
#: says otherwise (``overflow_wait_s``). Twenty minutes: long for someone at risk, long
#: enough that a short rush at one centre does not send its visitors away.
DEFAULT_OVERFLOW_WAIT_S = 1200
#: The thresholds an admin may set (s): one minute (less would send visitors away before
#: anyone had a chance to answer) to two hours (more is no overflow at all).
OVERFLOW_WAIT_RANGE_S = (60, 7200)
#: At most this many centres in an overflow order (the country has 21 counties and a
#: national line; visitors are offered only the first few that can take them).
MAX_OVERFLOW = 30


def is_centre_id(value: object) -> bool:
    """True for a well-formed centre id (:data:`CENTRE_ID`)."""
    return isinstance(value, str) and bool(CENTRE_ID.match(value))


def centre_namespace(centre_id: str) -> str:
    """The durable key-value namespace of a centre's documents (``hours``, ``canned``,
    ``referrals``): ``centre:<id>``."""
    return "centre:" + centre_id


@dataclass(frozen=True)
class Centre:
    """One resource centre (or the national line).

    ``names``: display name per locale (``sv`` always present; other locales fall back
    to it). ``county``: SCB county code or None (a national centre). ``municipalities``:
    SCB municipality codes it serves, sorted. ``audience``: ``all`` or ``professional``.
    ``created_at``: ms since the epoch. ``disabled``: takes no new conversations and
    is not offered to visitors (its data stays).
    """

    id: str
    names: Mapping[str, str]
    county: str | None = None
    municipalities: tuple[str, ...] = ()
    audience: CentreAudience = "all"
    created_at: Millis = 0
    disabled: bool = False
    #: Host sites that may embed this centre's widget (origins, e.g.
    #: ``https://www.skane.se``); None: not set (the centre ``default`` then uses the
    #: installation's CHAT_ALLOWED_ORIGINS; services/embedding.py).
    origins: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def name(self, locale: str) -> str:
        """The centre's name in ``locale``, else in Swedish, else its id."""
        return self.names.get(locale) or self.names.get("sv") or self.id

    def serves(self, municipality_code: str) -> bool:
        """Whether the centre serves this municipality (SCB code)."""
        return municipality_code in self.municipalities

    def to_record(self) -> dict[str, Any]:
        """The JSON record kept in the durable store."""
        record: dict[str, Any] = {
            "id": self.id,
            "names": dict(self.names),
            "county": self.county,
            "municipalities": list(self.municipalities),
            "audience": self.audience,
            "created_at": self.created_at,
            "disabled": self.disabled,
            "origins": None if self.origins is None else list(self.origins),
        }
        # Fields a newer release added are kept through a read-modify-write.
        record.update({k: v for k, v in self.extra.items() if k not in record})
        return record

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> Centre:
        """From a stored record; missing optional fields get their defaults."""
        known = {"id", "names", "county", "municipalities", "audience", "created_at", "disabled", "origins"}
        origins = r.get("origins")
        audience: CentreAudience = "professional" if r.get("audience") == "professional" else "all"
        return Centre(
            id=r["id"],
            names=dict(r.get("names") or {}),
            county=r.get("county"),
            municipalities=tuple(r.get("municipalities") or ()),
            audience=audience,
            created_at=int(r.get("created_at") or 0),
            disabled=bool(r.get("disabled")),
            origins=None if not isinstance(origins, list) else tuple(str(o) for o in origins),
            extra={k: v for k, v in r.items() if k not in known},
        )


def overflow_order(centre: Centre) -> tuple[str, ...]:
    """The centre ids its visitors may be offered, in order (the record's ``overflow``
    list, services/overflow.py; malformed entries, repeats and the centre itself are
    left out)."""
    raw = centre.extra.get("overflow")
    if not isinstance(raw, list):
        return ()
    return tuple(dict.fromkeys(c for c in raw if is_centre_id(c) and c != centre.id))


def overflow_wait_setting(centre: Centre) -> int | None:
    """The threshold (s) set in the centre's record (``overflow_wait_s``), or None when
    it has none (or a malformed one): the default applies."""
    raw = centre.extra.get("overflow_wait_s")
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None


def overflow_wait_s(centre: Centre) -> int:
    """The centre's threshold (s): its record's ``overflow_wait_s``, else the default."""
    return overflow_wait_setting(centre) or DEFAULT_OVERFLOW_WAIT_S


class PublicCentre(TypedDict):
    """A centre as the console receives it (docs/protocol.md)."""

    id: str
    name: str  # in the asker's locale
    names: dict[str, str]
    county: str | None
    municipalities: list[str]
    audience: CentreAudience
    disabled: bool
    origins: list[str] | None  # host sites that may embed its widget; None: not set
    overflow: list[str]  # centre ids its visitors may be offered, in order
    overflow_wait_s: int | None  # the threshold (s); None: DEFAULT_OVERFLOW_WAIT_S


def public_centre(centre: Centre, locale: str) -> PublicCentre:
    """The fields of a centre that may leave the server, its name in ``locale``."""
    return {
        "id": centre.id,
        "name": centre.name(locale),
        "names": dict(centre.names),
        "county": centre.county,
        "municipalities": list(centre.municipalities),
        "audience": centre.audience,
        "disabled": centre.disabled,
        "origins": None if centre.origins is None else list(centre.origins),
        "overflow": list(overflow_order(centre)),
        "overflow_wait_s": overflow_wait_setting(centre),
    }


# --- memberships (in the staff account record) ------------------------------------------
def memberships(account: Mapping[str, Any]) -> dict[str, Role]:
    """``{centre_id: role}`` of an account record. A record written before centres
    (no ``centres`` field) belongs to :data:`DEFAULT_CENTRE` with its ``role``."""
    raw = account.get("centres")
    role = account.get("role", "operator")
    if not (isinstance(raw, dict) and raw):
        return {DEFAULT_CENTRE: role}
    centres: dict[str, Role] = {str(c): r for c, r in raw.items() if r in get_args(Role)}
    # This release writes ``role`` and ``centres`` together, so a ``role`` that differs
    # from the primary centre's was written by something that knows no centres (the
    # previous release during a rolling upgrade, a script): that change wins there.
    primary = primary_centre(centres)
    if centres and role in get_args(Role) and centres[primary] != role:
        centres[primary] = role
    return centres


def primary_centre(centres: Mapping[str, Role]) -> str:
    """The centre the pre-centre endpoints act on: the only one, else ``default`` if a
    member, else the first by id. ``centres`` is never empty (an account belongs to at
    least one centre); an empty mapping gives :data:`DEFAULT_CENTRE`."""
    if len(centres) == 1:
        return next(iter(centres))
    if DEFAULT_CENTRE in centres or not centres:
        return DEFAULT_CENTRE
    return min(centres)


def is_national_admin(account: Mapping[str, Any]) -> bool:
    """Whether the account manages centres (``national_admin`` in its record)."""
    return bool(account.get("national_admin"))
