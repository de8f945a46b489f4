from __future__ import annotations

import pytest

from chat_server.config import Secret, SettingsError, load_settings


def test_defaults_are_the_embedded_mode(tmp_path):
    s = load_settings(env={})
    assert s.ephemeral_url == "memory://"
    assert s.effective_durable_url.startswith("sqlite:///")
    assert s.grace_period_s == 600
    assert s.max_http_buffer_size <= 64 * 1024


def test_environment_and_file_secrets(tmp_path):
    (tmp_path / "key").write_text("s3cret-from-file\n")
    s = load_settings(
        env={
            "CHAT_PORT": "9000",
            "CHAT_SECRET_KEY_FILE": str(tmp_path / "key"),
            "CHAT_ALLOWED_ORIGINS": "https://kommun.example.se/, https://skola.example.se",
            "CHAT_TRUST_PROXY": "yes",
            "CHAT_GRACE_PERIOD_S": "30",
        }
    )
    assert s.port == 9000 and s.grace_period_s == 30 and s.trust_proxy is True
    assert s.secret_key.reveal() == "s3cret-from-file"
    assert s.allowed_origins == ("https://kommun.example.se", "https://skola.example.se")


def test_secret_never_prints():
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    s = load_settings(env={"CHAT_SECRET_KEY": "hunter2"})
    assert "hunter2" not in repr(s)


def test_toml_file_then_environment_wins(tmp_path):
    cfg = tmp_path / "rc.toml"
    cfg.write_text('port = 7000\nephemeral_url = "redis://127.0.0.1:6379/0"\nlog_level = "DEBUG"\n')
    s = load_settings(env={"CHAT_PORT": "7100"}, config_file=cfg)
    assert s.port == 7100 and s.ephemeral_url.startswith("redis://") and s.log_level == "DEBUG"


def test_bad_values_are_named(tmp_path):
    with pytest.raises(SettingsError, match="port"):
        load_settings(env={"CHAT_PORT": "eighty"})
    cfg = tmp_path / "rc.toml"
    cfg.write_text("no_such_setting = 1\n")
    with pytest.raises(SettingsError, match="no_such_setting"):
        load_settings(env={}, config_file=cfg)
    with pytest.raises(SettingsError, match="secret"):
        load_settings(env={"CHAT_SECRET_KEY_FILE": str(tmp_path / "missing")})
    # CHAT_ALLOWED_ORIGINS goes into the Content-Security-Policy: a space or a
    # semicolon would add a source or a directive there.
    for bad in ("https://a.se b.se", "https://a.se;sandbox", "a.se"):
        with pytest.raises(SettingsError, match="allowed_origins"):
            load_settings(env={"CHAT_ALLOWED_ORIGINS": bad})
    assert load_settings(env={"CHAT_ALLOWED_ORIGINS": "https://a.se, https://b.se/"}).allowed_origins == (
        "https://a.se",
        "https://b.se",
    )


def test_settings_are_frozen():
    s = load_settings(env={})
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]
