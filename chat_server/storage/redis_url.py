"""Redis URLs, the one parser: a single Redis, or a service behind Redis Sentinel.

* ``redis://[[user]:password@]host[:port][/db]``, ``rediss://…`` (TLS) and
  ``unix:///path/to/socket?db=N``: one Redis, as redis-py reads them.
* ``redis+sentinel://[[user]:password@]host1[:port1][,host2[:port2]…]/<service>[/<db>]``
  and ``rediss+sentinel://…`` (TLS to the sentinels and to the Redis nodes): the
  primary of ``<service>`` (Sentinel's "master name"), found by asking the sentinels,
  and found again after a failover. A sentinel's port defaults to 26379, ``<db>`` to 0.
  The password in the URL is the Redis nodes' (``requirepass``); sentinels that have
  a password of their own (Sentinel's ``requirepass``) take it from the query
  parameters ``sentinel_username`` and ``sentinel_password``. ``ssl_ca_certs=<file>``
  names the CA bundle that signed the servers' certificates (TLS only). IPv6 hosts
  go in brackets: ``[2001:db8::1]:26379``.

python-socketio's own Sentinel URLs put the database before the service
(``…/0/mymaster``); this server refuses that order rather than guess, because a
service named like a number would otherwise be read the wrong way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["RedisTarget", "is_redis_url", "parse_redis_url"]

SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
DIRECT_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_SENTINEL_PORT = 26379
_SENTINEL_OPTIONS = {"sentinel_username", "sentinel_password", "ssl_ca_certs"}


@dataclass(frozen=True)
class RedisTarget:
    """Where a Redis-backed store or the fan-out connects.

    ``sentinels`` is empty for a single Redis (then ``url`` is handed to redis-py as
    it is); otherwise the (host, port) pairs of the sentinels, ``service`` the name
    they monitor the primary under, and ``db`` the database number on it."""

    url: str
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None
    tls: bool = False
    ssl_ca_certs: str | None = None

    @property
    def is_sentinel(self) -> bool:
        return bool(self.sentinels)

    def describe(self) -> str:
        """For log lines and errors: hosts and service, never a password."""
        if not self.is_sentinel:
            split = urlsplit(self.url)
            if split.scheme == "unix":
                return f"unix://{split.path}"
            return f"{split.scheme}://{_host_port(split.hostname or 'localhost', split.port or 6379)}"
        hosts = ",".join(_host_port(h, p) for h, p in self.sentinels)
        return f"{urlsplit(self.url).scheme}://{hosts}/{self.service}/{self.db}"


def is_redis_url(url: str) -> bool:
    """True for every URL :func:`parse_redis_url` accepts the scheme of."""
    return url.split("://", 1)[0].lower() in DIRECT_SCHEMES + SENTINEL_SCHEMES and "://" in url


def parse_redis_url(url: str) -> RedisTarget:
    """Read a Redis URL (forms in the module docstring). Raises ValueError naming what
    is wrong, never echoing a password."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in DIRECT_SCHEMES:
        return RedisTarget(url=url, tls=scheme == "rediss")
    if scheme not in SENTINEL_SCHEMES:
        raise ValueError(f"not a Redis URL (scheme {scheme or 'missing'!r})")
    split = urlsplit(url)
    userinfo, _, hostlist = split.netloc.rpartition("@")
    username = password = None
    if userinfo:
        user, has_password, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if has_password else None
    sentinels = tuple(_sentinel_address(item) for item in hostlist.split(","))
    parts = [unquote(p) for p in split.path.split("/")[1:]]
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or not parts[0]:
        raise ValueError("a Sentinel URL needs the service name: redis+sentinel://host:26379/<service>[/<db>]")
    if len(parts) > 2:
        raise ValueError("a Sentinel URL's path is /<service>[/<db>]")
    service = parts[0]
    db = 0
    if len(parts) == 2:
        if parts[0].isdigit() and not parts[1].isdigit():
            raise ValueError(
                "a Sentinel URL's path is /<service>/<db> (service first); "
                f"/{parts[0]}/{parts[1]} looks like the other order"
            )
        if not parts[1].isdigit():
            raise ValueError("the database in a Sentinel URL must be a number: /<service>/<db>")
        db = int(parts[1])
    query = {key: values[-1] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
    unknown = set(query) - _SENTINEL_OPTIONS
    if unknown:
        raise ValueError(f"unknown Sentinel URL option(s): {', '.join(sorted(unknown))}")
    tls = scheme == "rediss+sentinel"
    if "ssl_ca_certs" in query and not tls:
        raise ValueError("ssl_ca_certs needs rediss+sentinel://")
    return RedisTarget(
        url=url,
        sentinels=sentinels,
        service=service,
        db=db,
        username=username,
        password=password,
        sentinel_username=query.get("sentinel_username") or None,
        sentinel_password=query.get("sentinel_password") or None,
        tls=tls,
        ssl_ca_certs=query.get("ssl_ca_certs") or None,
    )


def _sentinel_address(item: str) -> tuple[str, int]:
    item = item.strip()
    if item.startswith("["):  # [IPv6]:port
        host, _, rest = item[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif item.count(":") == 1:
        host, _, port_text = item.partition(":")
    else:
        host, port_text = item, ""
    if not host:
        raise ValueError("a Sentinel URL lists sentinels as host[:port],host[:port],…")
    if not port_text:
        return host, DEFAULT_SENTINEL_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"a sentinel's port must be a number from 1 to 65535 (sentinel {host})")
    return host, int(port_text)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
