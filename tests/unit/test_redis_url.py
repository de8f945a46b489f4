"""Redis URLs: one parser for the stores and the fan-out (storage/redis_url.py), and the
settings that depend on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chat_server.config import SettingsError, load_settings
from chat_server.storage import is_redis_url, open_ephemeral
from chat_server.storage.redis_url import RedisTarget, parse_redis_url


def test_a_single_redis_is_handed_to_redis_py_as_it_is() -> None:
    for url in ("redis://redis-ephemeral:6379/0", "rediss://:pw@r.example:6380/2", "unix:///run/redis.sock?db=1"):
        target = parse_redis_url(url)
        assert target == RedisTarget(url=url, tls=url.startswith("rediss"))
        assert not target.is_sentinel


def test_sentinel_url_names_sentinels_service_and_db() -> None:
    target = parse_redis_url("redis+sentinel://:s%40cret@s1:26379,s2:26380,s3/rc-ephemeral/3")
    assert target.sentinels == (("s1", 26379), ("s2", 26380), ("s3", 26379))
    assert (target.service, target.db) == ("rc-ephemeral", 3)
    assert (target.username, target.password) == (None, "s@cret")
    assert not target.tls and target.is_sentinel
    # The description never shows the password.
    assert target.describe() == "redis+sentinel://s1:26379,s2:26380,s3:26379/rc-ephemeral/3"


def test_sentinel_url_defaults_and_options() -> None:
    target = parse_redis_url(
        "rediss+sentinel://chat:pw@[2001:db8::1]:26379,[2001:db8::2]/svc/"
        "?sentinel_username=watch&sentinel_password=other&ssl_ca_certs=/etc/ca.pem"
    )
    assert target.sentinels == (("2001:db8::1", 26379), ("2001:db8::2", 26379))
    assert (target.service, target.db, target.username, target.password) == ("svc", 0, "chat", "pw")
    assert (target.sentinel_username, target.sentinel_password) == ("watch", "other")
    assert target.tls and target.ssl_ca_certs == "/etc/ca.pem"
    assert "pw" not in target.describe() and "other" not in target.describe()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+sentinel://s1:26379", "needs the service name"),
        ("redis+sentinel://s1:26379/", "needs the service name"),
        ("redis+sentinel://s1:26379/0/mymaster", "looks like the other order"),
        ("redis+sentinel://s1:26379/svc/zero", "must be a number"),
        ("redis+sentinel://s1:26379/svc/0/extra", "/<service>[/<db>]"),
        ("redis+sentinel://s1:port/svc", "port must be a number"),
        ("redis+sentinel://s1:70000/svc", "port must be a number"),
        ("redis+sentinel://s1,,s2/svc", "host[:port]"),
        ("redis+sentinel://s1/svc?password=x", "unknown Sentinel URL option"),
        ("redis+sentinel://s1/svc?ssl_ca_certs=/ca.pem", "needs rediss+sentinel"),
        ("http://s1/svc", "not a Redis URL"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_redis_url(url)


def test_password_never_appears_in_a_refusal() -> None:
    with pytest.raises(ValueError) as refused:
        parse_redis_url("redis+sentinel://:hunter2@s1:26379/0/svc")
    assert "hunter2" not in str(refused.value)


def test_every_redis_scheme_opens_a_redis_store() -> None:
    for url in ("redis://127.0.0.1:1/0", "redis+sentinel://127.0.0.1:1/svc", "rediss+sentinel://127.0.0.1:1/svc/1"):
        assert is_redis_url(url)
        # Opening connects lazily: nothing listens on port 1, and nothing is asked yet.
        assert type(open_ephemeral(url)).__name__ == "RedisEphemeral"
    assert not is_redis_url("memory://") and not is_redis_url("sqlite:///x")


def test_wait_replicas_is_one_behind_sentinel_and_zero_otherwise(tmp_path: Path) -> None:
    def settings(**env: str) -> int:
        return load_settings(env={"CHAT_DATA_DIR": str(tmp_path), **env}).effective_redis_wait_replicas

    assert settings() == 0
    assert settings(CHAT_EPHEMERAL_URL="redis://r:6379/0") == 0
    assert settings(CHAT_EPHEMERAL_URL="redis+sentinel://s1,s2,s3/rc-ephemeral") == 1
    assert settings(CHAT_EPHEMERAL_URL="rediss+sentinel://s1/rc-ephemeral") == 1
    assert settings(CHAT_EPHEMERAL_URL="redis+sentinel://s1/rc-ephemeral", CHAT_REDIS_WAIT_REPLICAS="0") == 0
    assert settings(CHAT_EPHEMERAL_URL="redis://r:6379/0", CHAT_REDIS_WAIT_REPLICAS="2") == 2


@pytest.mark.parametrize(
    "env",
    [
        {"CHAT_EPHEMERAL_URL": "redis+sentinel://s1:26379/0/svc"},
        {"CHAT_DURABLE_URL": "redis+sentinel://s1:26379"},
        {"CHAT_REDIS_WAIT_REPLICAS": "-2"},
        {"CHAT_REDIS_WAIT_TIMEOUT_MS": "0"},
    ],
)
def test_bad_redis_settings_stop_the_start(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(env={"CHAT_DATA_DIR": str(tmp_path), **env})
