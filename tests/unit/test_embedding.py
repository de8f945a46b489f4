"""Which host sites may embed which centre's widget (services/embedding.py, origins.py):
the framing and connection decisions per centre, and the admin's origin validation."""

from __future__ import annotations

import pytest

from chat_server.services.centre_domain import Centre
from chat_server.services.embedding import check_host, embed_origins, frame_ancestors, widget_centre
from chat_server.services.errors import ServiceError
from chat_server.services.origins import check_origins, normalise_origin

OWN = "https://chat.example.se"
INSTALLATION = ("https://www.kommun.se",)
DEFAULT = Centre("default", {"sv": "Resurscentrum"})
SKANE = Centre("skane", {"sv": "RC Skåne"}, origins=("https://www.skane.se",))
DALARNA = Centre("dalarna", {"sv": "RC Dalarna"}, origins=("https://www.dalarna.se", "http://localhost:8000"))
BARE = Centre("gavleborg", {"sv": "RC Gävleborg"})  # no origins set


def code(fn, *args):
    with pytest.raises(ServiceError) as info:
        fn(*args)
    return info.value.code


def test_a_single_centre_installation_needs_no_centre_named() -> None:
    assert widget_centre(None, [DEFAULT]).id == "default"
    assert widget_centre("", [DEFAULT]).id == "default"
    assert widget_centre(None, []).id == "default"  # not migrated yet
    assert widget_centre("default", [DEFAULT, SKANE]).id == "default"


def test_several_centres_need_one_named_and_known() -> None:
    centres = [DEFAULT, SKANE, DALARNA]
    assert code(widget_centre, None, centres) == "centre_required"
    assert widget_centre("skane", centres) is SKANE
    for bad in ("blekinge", "Skåne", "SKANE", "skane ", "../x", "a" * 65, "1skane"):
        assert code(widget_centre, bad, centres) == "unknown_centre", bad


def test_the_default_centre_falls_back_to_the_installation_origins() -> None:
    assert embed_origins(DEFAULT, INSTALLATION) == INSTALLATION
    own_list = Centre("default", {}, origins=("https://rc.example.se",))
    assert embed_origins(own_list, INSTALLATION) == ("https://rc.example.se",)
    # Other centres never inherit the installation's list.
    assert embed_origins(BARE, INSTALLATION) == ()
    assert embed_origins(SKANE, INSTALLATION) == ("https://www.skane.se",)


def test_a_centre_is_framed_and_connected_only_from_its_own_sites() -> None:
    centres = [DEFAULT, SKANE, DALARNA, BARE]
    assert frame_ancestors("skane", centres, INSTALLATION) == ("https://www.skane.se",)
    assert frame_ancestors("dalarna", centres, INSTALLATION) == DALARNA.origins
    assert frame_ancestors("gavleborg", centres, INSTALLATION) == ()
    assert frame_ancestors("default", centres, INSTALLATION) == INSTALLATION
    check_host(SKANE, "https://www.skane.se", OWN, INSTALLATION)
    check_host(SKANE, "https://WWW.skane.se:443", OWN, INSTALLATION)  # the same origin
    check_host(SKANE, OWN, OWN, INSTALLATION)  # /demo/ on the chat server itself
    check_host(SKANE, None, OWN, INSTALLATION)  # not embedded
    for other in ("https://www.dalarna.se", "http://www.skane.se", "https://www.skane.se.evil.example", "null", ""):
        assert code(check_host, SKANE, other, OWN, INSTALLATION) == "origin_not_allowed", other
    # The installation's list is the default centre's, not every centre's.
    assert code(check_host, SKANE, INSTALLATION[0], OWN, INSTALLATION) == "origin_not_allowed"
    check_host(DEFAULT, INSTALLATION[0], OWN, INSTALLATION)


def test_a_misconfigured_embed_may_be_framed_by_any_site_of_the_installation() -> None:
    """So its friendly message shows on the page that names its centre wrongly."""
    centres = [DEFAULT, SKANE, DALARNA]
    every = tuple(sorted({*INSTALLATION, *SKANE.origins, *DALARNA.origins}))  # type: ignore[misc]
    assert frame_ancestors("blekinge", centres, INSTALLATION) == every
    assert frame_ancestors(None, centres, INSTALLATION) == every
    assert frame_ancestors("x y", centres, INSTALLATION) == every


def test_origins_are_validated_and_normalised() -> None:
    assert check_origins(["https://www.Skane.se/", "https://www.skane.se:443", "http://localhost:8000"]) == (
        "http://localhost:8000",
        "https://www.skane.se",
    )
    assert check_origins(["http://127.0.0.1:9000", "http://[::1]:3000"]) == (
        "http://127.0.0.1:9000",
        "http://[::1]:3000",
    )
    assert check_origins([]) == ()
    bad_lists = [
        ["http://www.skane.se"],  # plain http on a real site
        ["https://www.skane.se/chat"],  # a path
        ["https://www.skane.se?x=1"],
        ["https://user@www.skane.se"],
        ["https://*.skane.se"],
        ["www.skane.se"],
        ["javascript:alert(1)"],
        ["https://"],
        ["https://www.skane.se:99999"],
        [" https://www.skane.se"],
        [42],
        "https://www.skane.se",  # not a list
        ["https://x.se"] * 201,
        # The origin goes into the Content-Security-Policy header (frame-ancestors):
        # nothing that would add a source or a directive there.
        ["https://a;sandbox"],
        ["https://a b.se"],
        ["https://x.se'unsafe-inline'"],
        ['https://x.se"'],
        ["https://a..se"],
        ["https://-a.se"],
        ["https://[not-v6]"],
    ]
    for bad in bad_lists:
        with pytest.raises(ServiceError) as info:
            check_origins(bad)
        assert info.value.code == "invalid" and info.value.field == "origins", bad
    assert normalise_origin("https://a.se:8443") == "https://a.se:8443"
    assert normalise_origin("ftp://a.se") is None
    # An internationalised name as browsers send it in Origin (IDNA).
    assert normalise_origin("https://räksmörgås.se") == "https://xn--rksmrgs-5wao1o.se"
