"""Host-site origins as a centre's allowed embedders (services/embedding.py): parsing
and the admin's validation. Pure."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import N_, ServiceError

#: At most this many allowed origins per centre (a county's municipalities and schools).
MAX_ORIGINS = 200
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
MSG_BAD_ORIGINS = N_("Give a list of website addresses.")
#: A DNS host name in ASCII (an internationalised name in its IDNA form): labels of
#: letters, digits and inner hyphens (RFC 1123 section 2.1).
_HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
MSG_BAD_ORIGIN = N_("Each website must be an address such as https://www.example.se, without a path.")


def normalise_origin(value: object) -> str | None:
    """``value`` as an origin (``scheme://host[:port]``, lowercase, no path, query,
    fragment or user info), or None when it is not one."""
    if not isinstance(value, str) or not 0 < len(value) <= 255 or value != value.strip():
        return None
    try:
        parts = urlsplit(value.rstrip("/"))
        port = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path or parts.query or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None or "*" in value:
        return None
    host = _host(parts.hostname)
    if host is None:
        return None
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


def _host(raw: str) -> str | None:
    """A host name or IP address as it may stand in an origin, lowercase, or None.
    An origin ends up in the ``Content-Security-Policy`` header (``frame-ancestors``):
    a space, quote or semicolon there would add sources or directives, so nothing but
    a plain name or address passes."""
    if ":" in raw:
        try:
            return f"[{ipaddress.IPv6Address(raw)}]"
        except ValueError:
            return None
    try:
        host = raw.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return host if len(host) <= 253 and _HOSTNAME.fullmatch(host) else None


def check_origins(values: object) -> tuple[str, ...]:
    """A centre's allowed host origins, normalised, unique, sorted: each ``https://…``,
    or ``http://localhost``/``127.0.0.1``/``[::1]`` (any port) for development, at most
    :data:`MAX_ORIGINS`. ``invalid`` (field ``origins``) otherwise. Plain http is refused
    for real sites: the page embedding a chat about violence must not be readable or
    changeable on the way (and browsers block an https iframe's powerful features there)."""
    if not isinstance(values, list | tuple) or len(values) > MAX_ORIGINS:
        raise ServiceError("invalid", MSG_BAD_ORIGINS, field="origins")
    clean = []
    for value in values:
        origin = normalise_origin(value)
        parts = urlsplit(origin or "")
        if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS)):
            raise ServiceError("invalid", MSG_BAD_ORIGIN, field="origins")
        clean.append(parts.geturl())
    return tuple(sorted(set(clean)))
