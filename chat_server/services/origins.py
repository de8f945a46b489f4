"""Host-site origins as a centre's allowed embedders (services/embedding.py): parsing
and the admin's validation. Pure."""

from __future__ import annotations

from urllib.parse import urlsplit

from .errors import N_, ServiceError

#: At most this many allowed origins per centre (a county's municipalities and schools).
MAX_ORIGINS = 200
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
MSG_BAD_ORIGINS = N_("Give a list of website addresses.")
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
    host = parts.hostname.lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


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
