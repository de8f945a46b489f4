"""Which host sites may embed which centre's widget (issue 19, point 2).

The loader's script tag names its centre (``data-centre="skane"``); the loader opens the
iframe ``/widget/?centre=skane`` and the widget connects to ``/visitor`` with
``auth={"centre": "skane", "host": <the host page's origin>}``. Two checks follow from
the centre's allowed origins (:func:`embed_origins`):

* framing: the iframe page's CSP ``frame-ancestors`` (:meth:`Embedding.frame_ancestors`);
  the browser refuses to show the widget on any other site. This is the check that
  holds against a hostile site.
* connecting: the host origin the widget reports must be allowed for the centre
  (:meth:`Embedding.check_connect`). A browser's widget reports what its loader saw,
  and the frame it runs in was already allowed; the check catches a centre's list
  changing under an open page and tells a misconfigured embed apart from an outage.
  A non-browser client reports what it likes, as with any Origin header.

The socket's own ``Origin`` header stays the chat server's (the widget runs in our
iframe); the Engine.IO same-origin check is unchanged.

Which centre: a centre id names it. No centre means ``default`` while the installation
has no other centre (every embed from before centres keeps working); once there are
several, an embed must name one. An unknown, malformed or missing centre is refused at
connect (``unknown_centre`` or ``centre_required``) and the widget shows a friendly
message with the help numbers; its iframe page may then be framed by any site allowed
for some centre of the installation, so the message shows on the misconfigured page.

The host origin is used for the check only: never stored, logged or sent anywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from .centre_domain import DEFAULT_CENTRE, Centre, is_centre_id
from .centres import Centres
from .errors import N_, ServiceError
from .origins import normalise_origin

MSG_CENTRE_REQUIRED = N_("This chat serves several resource centres: the page must say which one.")
MSG_UNKNOWN_CENTRE_EMBED = N_("This chat is not set up correctly on this page.")
MSG_ORIGIN_NOT_ALLOWED = N_("This website may not show the chat of this resource centre.")


def embed_origins(centre: Centre, installation: Collection[str]) -> tuple[str, ...]:
    """The host origins that may embed ``centre``'s widget: its ``origins`` when set;
    for the centre ``default`` without its own list, the installation's
    CHAT_ALLOWED_ORIGINS (``installation``); else none (only the chat server itself,
    e.g. ``/demo/``, which is always allowed)."""
    if centre.origins is not None:
        return centre.origins
    return tuple(installation) if centre.id == DEFAULT_CENTRE else ()


def widget_centre(requested: str | None, centres: Iterable[Centre]) -> Centre:
    """The centre an embed asking for ``requested`` (None or "": none named) gets,
    among the installation's ``centres``. ``centre_required`` when none is named and the
    installation has a centre other than ``default``; ``unknown_centre`` for a malformed
    id or a centre that does not exist. (A disabled centre is returned: its open page may
    resume a conversation; ``start`` refuses it.)"""
    known = {c.id: c for c in centres}
    if not requested:
        if any(cid != DEFAULT_CENTRE for cid in known):
            raise ServiceError("centre_required", MSG_CENTRE_REQUIRED)
        return known.get(DEFAULT_CENTRE) or Centre(DEFAULT_CENTRE, {})
    found = known.get(requested) if is_centre_id(requested) else None
    if found is None:
        if requested == DEFAULT_CENTRE:  # a store not migrated yet: it always exists
            return Centre(DEFAULT_CENTRE, {})
        raise ServiceError("unknown_centre", MSG_UNKNOWN_CENTRE_EMBED)
    return found


def check_host(centre: Centre, host: str | None, own_origin: str, installation: Collection[str]) -> None:
    """The host page of origin ``host`` may embed ``centre``'s widget: no host (the
    widget opened on its own, or a client that is no browser widget), the chat server's
    own origin ``own_origin``, or one of :func:`embed_origins`. ``origin_not_allowed``
    otherwise (also for a ``host`` that is not an origin)."""
    if host is None:
        return
    origin = normalise_origin(host)
    if origin is not None and (origin == own_origin or origin in embed_origins(centre, installation)):
        return
    raise ServiceError("origin_not_allowed", MSG_ORIGIN_NOT_ALLOWED)


def frame_ancestors(requested: str | None, centres: Iterable[Centre], installation: Collection[str]) -> tuple[str, ...]:
    """The origins besides ``'self'`` that may frame ``/widget/?centre=<requested>``:
    the centre's (:func:`embed_origins`); for an unknown or missing centre, every
    origin allowed for some centre, so the widget's "not set up correctly" message
    shows on a page of the installation that names its centre wrongly (and nowhere
    else: no chat can start there)."""
    every = list(centres)
    try:
        return embed_origins(widget_centre(requested, every), installation)
    except ServiceError:
        # An unmigrated store has no record for "default": it still has the installation's.
        union = set() if any(c.id == DEFAULT_CENTRE for c in every) else set(installation)
        for c in every:
            union.update(embed_origins(c, installation))
        return tuple(sorted(union))


class Embedding:
    """The checks above over the installation's centres (read through the
    :class:`Centres` cache) and CHAT_ALLOWED_ORIGINS."""

    def __init__(self, centres: Centres, installation_origins: Collection[str]) -> None:
        self._centres = centres
        self._installation = tuple(installation_origins)

    async def check_connect(self, requested: str | None, host: str | None, own_origin: str) -> Centre:
        """The centre of a visitor connection naming ``requested`` from a page of origin
        ``host``; ``centre_required``, ``unknown_centre`` or ``origin_not_allowed``."""
        centre = widget_centre(requested, await self._centres.all())
        check_host(centre, host, own_origin, self._installation)
        return centre

    async def frame_ancestors(self, requested: str | None) -> tuple[str, ...]:
        """See :func:`frame_ancestors`."""
        return frame_ancestors(requested, await self._centres.all(), self._installation)
