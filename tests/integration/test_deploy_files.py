"""The deployment files in deploy/ keep their promises.

* Both nginx configurations pass ``nginx -t``; the plain-HTTP test variant, run for real in
  front of two stub upstreams, routes stickily, forwards WebSocket upgrades and the
  headers the app relies on, blocks /metrics and big bodies, and logs no visitor data.
* The Redis configurations run on a real redis-server: the ephemeral one writes nothing to
  disk, even at shutdown; the durable one keeps its data across a restart.
* compose.yaml, the Dockerfile, the Kubernetes manifests and the systemd unit keep the
  privacy and hardening settings that docs/operations.md describes.

No YAML parser is a dependency, so the YAML files are checked as text. Everything here is
synchronous and takes a second or two.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# Variables that would put a visitor's address, browser, origin page or Engine.IO session
# id (query string) into an nginx log line.
FORBIDDEN_LOG_VARIABLES = (
    "$remote_addr",
    "$binary_remote_addr",
    "$realip_remote_addr",
    "$proxy_add_x_forwarded_for",
    "$http_x_forwarded_for",
    "$http_x_real_ip",
    "$http_user_agent",
    "$http_referer",
    "$http_cookie",
    "$request",
    "$request_uri",
    "$args",
    "$query_string",
    "$is_args",
    "$arg_",
)


# --------------------------------------------------------------------------- rendering


def render_test_nginx_conf(prefix: Path, listen: str, upstreams: list[str], pidfile: Path | None = None) -> Path:
    """Render deploy/nginx.test.conf.template into ``prefix/nginx.conf`` and return its path.

    ``upstreams`` are ``host:port`` strings of chat-server processes. Run the result with
    ``nginx -p PREFIX -c PREFIX/nginx.conf -e stderr -g 'daemon off;'``.
    """
    prefix.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=2s;" for address in upstreams)
    text = (DEPLOY / "nginx.test.conf.template").read_text()
    for placeholder, value in (
        ("@UPSTREAMS@", servers),
        ("@PIDFILE@", str(pidfile or prefix / "nginx.pid")),
        ("@LISTEN@", listen),
        ("@PREFIX@", str(prefix)),
    ):
        assert placeholder in text, f"{placeholder} is missing from the template"
        text = text.replace(placeholder, value)
    assert "@" not in text.replace("$", ""), "an unknown placeholder is left in the template"
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def _replace_once_or_more(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx.conf no longer contains {old!r}; update this test"
    return text.replace(old, new)


def render_deploy_nginx_conf(prefix: Path, certs: Path, upstreams: list[str]) -> Path:
    """deploy/nginx.conf with host-specific paths and names moved into ``prefix``."""
    text = (DEPLOY / "nginx.conf").read_text()
    text = _replace_once_or_more(text, "/etc/nginx/certs/", f"{certs}/")
    text = _replace_once_or_more(text, "pid /run/nginx.pid;", f"pid {prefix}/nginx.pid;")
    # The compose service names do not resolve here.
    text = _replace_once_or_more(text, "server app1:8080", f"server {upstreams[0]}")
    text = _replace_once_or_more(text, "server app2:8080", f"server {upstreams[1]}")
    # The temp paths are the packaging's compiled-in defaults; keep them in the prefix.
    temp_paths = "".join(
        f"    {kind}_temp_path {prefix}/{kind}_temp;\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = _replace_once_or_more(text, "\nhttp {\n", "\nhttp {\n" + temp_paths)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def _write_self_signed_cert(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chat.example.se")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("chat.example.se")]), False)
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return directory


def _nginx_check(conf: Path, prefix: Path) -> None:
    result = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _strip_comments(text: str, marker: str = "#") -> str:
    return "\n".join(line.split(marker, 1)[0] for line in text.splitlines())


def _nginx_statements(text: str, directive: str) -> list[str]:
    """Arguments of every ``directive ...;`` statement, comments removed."""
    code = _strip_comments(text)
    return [m.group(1).strip() for m in re.finditer(rf"\b{directive}\s+([^;]*);", code)]


def _marked_block(text: str, name: str) -> str:
    match = re.search(rf"# BEGIN {name}\b.*?\n(.*?)# END {name}\b", text, re.DOTALL)
    assert match, f"marker block {name!r} not found"
    return match.group(1)


# --------------------------------------------------------------------------- nginx -t


def test_test_template_passes_nginx_t(tmp_path: Path) -> None:
    conf = render_test_nginx_conf(tmp_path / "nginx", "127.0.0.1:18080", ["127.0.0.1:18081", "127.0.0.1:18082"])
    _nginx_check(conf, tmp_path / "nginx")


def test_deploy_nginx_conf_passes_nginx_t(tmp_path: Path) -> None:
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    certs = _write_self_signed_cert(tmp_path / "certs")
    conf = render_deploy_nginx_conf(prefix, certs, ["127.0.0.1:18081", "127.0.0.1:18082"])
    _nginx_check(conf, prefix)


# --------------------------------------------------------------------------- nginx text


@pytest.mark.parametrize("name", ["nginx.conf", "nginx.test.conf.template"])
def test_nginx_logs_no_visitor_data(name: str) -> None:
    text = (DEPLOY / name).read_text()
    formats = dict((args.split(None, 1)[0], args) for args in _nginx_statements(text, "log_format"))
    assert set(formats) == {"rc_privacy"}
    for variable in FORBIDDEN_LOG_VARIABLES:
        # "$request" must not match "$request_time"; "$arg_" is a prefix of its own.
        boundary = "" if variable.endswith("_") else r"(?![A-Za-z0-9_])"
        assert not re.search(re.escape(variable) + boundary, formats["rc_privacy"]), variable
    access_logs = _nginx_statements(text, "access_log")
    assert access_logs, "say explicitly where the access log goes"
    for args in access_logs:
        parts = args.split()
        # Without a format name nginx uses "combined", which has the client address.
        assert parts == ["off"] or (len(parts) >= 2 and parts[1] == "rc_privacy"), args


def test_production_error_log_keeps_no_client_addresses() -> None:
    # nginx adds "client: <address>" to request-related lines at every level up to crit.
    text = (DEPLOY / "nginx.conf").read_text()
    error_logs = _nginx_statements(text, "error_log")
    assert error_logs
    for args in error_logs:
        assert args.split()[-1] == "emerg" or args.split()[0] == "/dev/null", args


def test_shared_blocks_are_identical_in_both_nginx_files() -> None:
    production = (DEPLOY / "nginx.conf").read_text()
    test_variant = (DEPLOY / "nginx.test.conf.template").read_text()
    for block in ("rc-chat http", "rc-chat server"):
        assert _marked_block(production, block) == _marked_block(test_variant, block), block


def test_production_nginx_conf_has_tls_redirect_hsts_and_sticky_upstream() -> None:
    text = _strip_comments((DEPLOY / "nginx.conf").read_text())
    assert re.search(r"listen\s+443\s+ssl", text)
    assert re.search(r"listen\s+80\b", text)
    assert "return 301 https://$host$request_uri;" in text
    assert re.search(r'add_header\s+Strict-Transport-Security\s+"max-age=\d+[^"]*"\s+always;', text)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in text
    assert "server_tokens off;" in text
    for name in ("nginx.conf", "nginx.test.conf.template"):
        code = _strip_comments((DEPLOY / name).read_text())
        assert "hash $remote_addr consistent;" in code, name
        assert "client_max_body_size 64k;" in code, name
        assert "proxy_set_header Upgrade $http_upgrade;" in code, name
        assert "proxy_set_header Connection $rc_connection_upgrade;" in code, name
        assert re.search(r"proxy_read_timeout\s+(\d+)s;", code), name
        assert "location /socket.io/" in code and "location = /metrics" in code, name


# --------------------------------------------------------------------------- live proxy


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every request with JSON naming this upstream and echoing the request."""

    server: _EchoServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append(self.path)
        body = json.dumps(
            {
                "upstream": self.server.name,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _EchoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), _EchoHandler)
        self.name = name
        self.seen: list[str] = []


class _Proxy:
    def __init__(self, port: int, prefix: Path, upstreams: dict[str, _EchoServer]) -> None:
        self.port = port
        self.prefix = prefix
        self.upstreams = upstreams

    def request(
        self,
        path: str,
        source: str = "127.0.0.1",
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, dict[str, object], dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5, source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            raw = response.read()
            response_headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        is_json = response_headers.get("content-type") == "application/json"
        return response.status, (json.loads(raw) if is_json else {}), response_headers


@contextlib.contextmanager
def _serving(server: _EchoServer) -> Iterator[_EchoServer]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[_Proxy]:
    with _serving(_EchoServer("a")) as a, _serving(_EchoServer("b")) as b:
        upstreams = {"a": a, "b": b}
        port = _free_port()
        prefix = tmp_path / "nginx"
        conf = render_test_nginx_conf(
            prefix,
            f"127.0.0.1:{port}",
            [f"127.0.0.1:{s.server_address[1]}" for s in upstreams.values()],
        )
        process = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), timeout=0.5),
                ):
                    break
                assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.02)
            yield _Proxy(port, prefix, upstreams)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            assert process.stderr is not None
            process.stderr.close()


def test_proxy_forwards_what_the_app_needs(proxy: _Proxy) -> None:
    status, echo, headers = proxy.request(
        "/socket.io/?EIO=4&transport=polling&sid=SECRETSID",
        source="127.0.0.5",
        headers={
            "User-Agent": "RC-Visitor-Agent/1.0",
            "Referer": "https://host.example/secret-page",
            "X-Forwarded-For": "203.0.113.66",  # a client must not be able to choose this
        },
    )
    assert status == 200
    seen = echo["headers"]
    assert isinstance(seen, dict)
    assert seen["x-forwarded-for"] == "127.0.0.5"
    assert seen["x-real-ip"] == "127.0.0.5"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["host"] == f"127.0.0.1:{proxy.port}"
    assert "upgrade" not in seen.get("connection", "").lower()
    assert echo["path"] == "/socket.io/?EIO=4&transport=polling&sid=SECRETSID"
    assert headers["x-rc-upstream"].startswith("127.0.0.1:")
    assert "server" not in headers or "/" not in headers["server"]  # no version

    status, echo, _ = proxy.request(
        "/socket.io/?EIO=4&transport=websocket",
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
    )
    assert status == 200
    seen = echo["headers"]
    assert isinstance(seen, dict)
    assert seen["upgrade"] == "websocket"
    assert seen["connection"].lower() == "upgrade"


def test_proxy_is_sticky_per_client_address_and_spreads_clients(proxy: _Proxy) -> None:
    chosen: dict[str, str] = {}
    for n in range(2, 40):
        source = f"127.0.0.{n}"
        names = {
            str(proxy.request("/socket.io/?EIO=4&transport=polling", source=source)[1]["upstream"]) for _ in range(3)
        }
        assert len(names) == 1, f"{source} was routed to {names}"
        chosen[source] = names.pop()
    assert set(chosen.values()) == {"a", "b"}


def test_proxy_moves_visitors_off_a_stopped_process(proxy: _Proxy) -> None:
    source = next(
        f"127.0.0.{n}" for n in range(2, 60) if proxy.request("/healthz", source=f"127.0.0.{n}")[1]["upstream"] == "a"
    )
    stopped = proxy.upstreams["a"]
    stopped.shutdown()
    stopped.server_close()
    status, echo, _ = proxy.request("/socket.io/?EIO=4&transport=polling", source=source)
    assert status == 200
    assert echo["upstream"] == "b"


def test_proxy_blocks_metrics_from_outside_and_big_bodies(proxy: _Proxy) -> None:
    status, _, _ = proxy.request("/metrics", source="127.0.0.2")
    assert status == 404
    assert all(path != "/metrics" for s in proxy.upstreams.values() for path in s.seen)
    status, echo, _ = proxy.request("/metrics", source="127.0.0.1")
    assert status == 200 and echo["path"] == "/metrics"

    status, _, _ = proxy.request("/socket.io/?EIO=4&transport=polling", method="POST", body=b"x" * (70 * 1024))
    assert status == 413
    status, _, _ = proxy.request("/socket.io/?EIO=4&transport=polling", method="POST", body=b"x" * (10 * 1024))
    assert status == 200


def test_proxy_access_log_holds_no_visitor_data(proxy: _Proxy) -> None:
    proxy.request(
        "/socket.io/?EIO=4&transport=polling&sid=SECRETSID",
        source="127.0.0.7",
        headers={"User-Agent": "RC-Visitor-Agent/1.0", "Referer": "https://host.example/p"},
    )
    proxy.request("/i18n/sv.json?v=SECRETQUERY", source="127.0.0.8")
    log = proxy.prefix / "access.log"
    deadline = time.monotonic() + 5
    while log.read_text().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    text = log.read_text()
    entries = [json.loads(line) for line in text.splitlines()]
    assert {e["path"] for e in entries} >= {"/socket.io/", "/i18n/sv.json"}
    for secret in ("127.0.0.7", "127.0.0.8", "RC-Visitor-Agent", "host.example", "SECRET", "EIO"):
        assert secret not in text, secret


# --------------------------------------------------------------------------- redis


def _compose_text() -> str:
    return (DEPLOY / "compose.yaml").read_text()


def _compose_block(text: str, key: str, indent: int) -> str:
    """The lines of the mapping entry ``key:`` at ``indent`` spaces, up to its next sibling."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.fullmatch(rf" {{{indent}}}{re.escape(key)}:.*", line)),
        None,
    )
    assert start is not None, f"{key!r} not found in compose.yaml"
    block = [lines[start]]
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
    return "\n".join(block)


def _ephemeral_command_args() -> list[str]:
    """The redis-server options compose.yaml passes after the config file."""
    block = _compose_block(_compose_text(), "redis-ephemeral", 2)
    match = re.search(r"command:\s*(\[.*\])", block)
    assert match, "redis-ephemeral needs an exec-form command list"
    command = json.loads(match.group(1))
    assert command[:2] == ["redis-server", "/usr/local/etc/redis/redis.conf"]
    return list(command[2:])


@contextlib.contextmanager
def _redis_server(conf_name: str, workdir: Path, *args: str) -> Iterator[redis.Redis]:
    text = (DEPLOY / conf_name).read_text()
    assert "\ndir /data\n" in text
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir.parent / f"{workdir.name}.conf"
    conf.write_text(text.replace("\ndir /data\n", f"\ndir {workdir}\n"))
    sock = workdir.parent / f"{workdir.name}.sock"
    process = subprocess.Popen(
        ["redis-server", str(conf), *args, "--port", "0", "--unixsocket", str(sock)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(unix_socket_path=str(sock), decode_responses=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, f"redis-server refused {conf_name}"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)
        yield client
    finally:
        client.close()
        process.terminate()  # SIGTERM: a normal shutdown, which saves if saving is on
        process.wait(timeout=10)


def test_ephemeral_redis_never_writes_to_disk(tmp_path: Path) -> None:
    assert shutil.which("redis-server"), "redis-server is missing: run `make system-deps`"
    workdir = tmp_path / "ephemeral"
    with _redis_server("redis-ephemeral.conf", workdir, *_ephemeral_command_args()) as r:
        assert r.config_get("save") == {"save": ""}
        assert r.config_get("appendonly") == {"appendonly": "no"}
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        for command in ("SAVE", "BGSAVE", "BGREWRITEAOF"):
            with pytest.raises(redis.ResponseError, match="unknown command"):
                r.execute_command(command)
        r.set("conversation:1", "ciphertext")
    assert list(workdir.iterdir()) == []


def test_durable_redis_keeps_data_across_a_restart(tmp_path: Path) -> None:
    assert shutil.which("redis-server"), "redis-server is missing: run `make system-deps`"
    workdir = tmp_path / "durable"
    with _redis_server("redis-durable.conf", workdir) as r:
        assert r.config_get("appendonly") == {"appendonly": "yes"}
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        r.set("staff:1", "argon2id-hash")
    assert (workdir / "dump.rdb").exists()
    assert (workdir / "appendonlydir").is_dir()
    with _redis_server("redis-durable.conf", workdir) as r:
        assert r.get("staff:1") == "argon2id-hash"


# --------------------------------------------------------------------------- compose


def test_compose_ephemeral_redis_has_no_persistence_and_no_volume() -> None:
    args = _ephemeral_command_args()
    assert args[args.index("--save") + 1] == ""
    assert args[args.index("--appendonly") + 1] == "no"
    block = _compose_block(_compose_text(), "redis-ephemeral", 2)
    assert "./redis-ephemeral.conf:/usr/local/etc/redis/redis.conf:ro" in block
    volumes = re.findall(r"^\s+- (\S+:\S+)$", _compose_block(block, "volumes", 4), re.MULTILINE)
    assert volumes == ["./redis-ephemeral.conf:/usr/local/etc/redis/redis.conf:ro"]
    assert "tmpfs:" in block


def test_compose_durable_redis_persists_on_a_volume() -> None:
    text = _compose_text()
    block = _compose_block(text, "redis-durable", 2)
    assert "./redis-durable.conf:/usr/local/etc/redis/redis.conf:ro" in block
    assert "- redis-durable-data:/data" in block
    assert "redis-durable-data:" in _compose_block(text, "volumes", 0)


def test_compose_exposes_only_nginx_and_keeps_the_key_in_a_secret_file() -> None:
    text = _compose_text()
    services = _compose_block(text, "services", 0)
    names = re.findall(r"^  ([a-z0-9-]+):", services, re.MULTILINE)
    assert set(names) == {"app1", "app2", "redis-ephemeral", "redis-durable", "nginx"}
    for name in names:
        has_ports = "ports:" in _strip_comments(_compose_block(services, name, 2))
        assert has_ports == (name == "nginx"), name
    assert "ports:" not in _strip_comments(_compose_block(text, "x-app", 0))
    nginx = _compose_block(services, "nginx", 2)
    assert '"80:80"' in nginx and '"443:443"' in nginx
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx
    assert "./certs:/etc/nginx/certs:ro" in nginx
    for app in ("app1", "app2"):
        assert "<<: *app" in _compose_block(services, app, 2)
    app = _strip_comments(_compose_block(text, "x-app", 0))
    assert "CHAT_SECRET_KEY_FILE: /run/secrets/chat_secret_key" in app
    assert not re.search(r"CHAT_SECRET_KEY\s*:", app)
    assert 'CHAT_TRUST_PROXY: "true"' in app
    assert "CHAT_EPHEMERAL_URL: redis://redis-ephemeral:6379/0" in app
    assert "dockerfile: deploy/Dockerfile" in app
    assert "file: ./secrets/chat_secret_key" in _compose_block(text, "secrets", 0)
    backend = _compose_block(_compose_block(text, "networks", 0), "backend", 2)
    assert "internal: true" in backend


# --------------------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", _strip_comments(text))
    result = []
    for line in logical.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), " ".join(rest.split())))
    return result


def test_dockerfile_is_multi_stage_and_runs_as_non_root() -> None:
    instructions = _dockerfile_instructions()
    args = dict(rest.split("=", 1) for kw, rest in instructions if kw == "ARG" and "=" in rest)
    assert args["NODE_IMAGE"].startswith("node:20")
    assert args["PYTHON_IMAGE"].startswith("python:3.11-slim")
    froms = [rest for kw, rest in instructions if kw == "FROM"]
    assert len(froms) >= 2
    assert froms[0] == "${NODE_IMAGE} AS frontend"
    final_stage = instructions[max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM") :]
    assert final_stage[0][1].startswith("${PYTHON_IMAGE}")
    users = [rest for kw, rest in final_stage if kw == "USER"]
    assert users, "the runtime stage must switch to an unprivileged user"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8080") in final_stage
    healthcheck = next(rest for kw, rest in final_stage if kw == "HEALTHCHECK")
    assert "/healthz" in healthcheck
    cmd = json.loads(next(rest for kw, rest in final_stage if kw == "CMD"))
    assert cmd == ["rc-chat", "serve", "--host", "0.0.0.0", "--port", "8080"]
    copies = [rest for kw, rest in final_stage if kw == "COPY"]
    assert all(c.startswith("--from=") for c in copies), "runtime copies only built artefacts"
    runs = " ".join(rest for kw, rest in instructions if kw == "RUN")
    assert "pip install --require-hashes -r /tmp/requirements.lock" in runs
    # Editable, so chat_server/ stays beside locales/ (chat_server/i18n.py looks there).
    assert "pip install --no-deps --no-build-isolation -e ." in runs
    assert "pip install --require-hashes -r /tmp/requirements-build.lock" in runs
    assert "requirements-test.lock" not in runs
    assert "npm ci" in runs and "locales compile" in runs


def test_docker_build_context_leaves_out_secrets() -> None:
    ignored = set((DEPLOY / "Dockerfile.dockerignore").read_text().split())
    assert {".git", ".venv", "deploy/secrets", "deploy/certs", "deploy/.env"} <= ignored


# --------------------------------------------------------------------------- Kubernetes


def _k8s_documents() -> list[tuple[str, str]]:
    """(file name, document text) for every manifest document."""
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in re.split(r"^---$", path.read_text(), flags=re.MULTILINE):
            if re.search(r"^kind:", doc, re.MULTILINE):
                docs.append((path.name, doc))
    return docs


def _k8s(kind: str, name: str) -> str:
    for _, doc in _k8s_documents():
        if re.search(rf"^kind: {kind}$", doc, re.MULTILINE) and re.search(
            rf"^  name: {re.escape(name)}$", doc, re.MULTILINE
        ):
            return doc
    raise AssertionError(f"{kind}/{name} not found in deploy/k8s")


def test_k8s_app_has_probes_replicas_and_hardening() -> None:
    doc = _k8s("Deployment", "rc-chat")
    assert re.search(r"^  replicas: 2$", doc, re.MULTILINE)
    assert re.search(r"livenessProbe:\s+httpGet:\s+path: /healthz\b", doc)
    assert re.search(r"readinessProbe:\s+httpGet:\s+path: /readyz\b", doc)
    assert re.search(r"resources:\s+(#.*\s+)*requests:\s+cpu: \S+\s+memory: \S+\s+limits:", doc)
    assert "runAsUser: 10001" in doc
    assert "name: CHAT_SECRET_KEY_FILE" in doc and "secretName: rc-chat-secret" in doc
    assert "name: rc-chat-config" in doc


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("Deployment", "rc-chat"),
        ("Deployment", "redis-ephemeral"),
        ("StatefulSet", "redis-durable"),
    ],
)
def test_k8s_workloads_meet_the_restricted_pod_security_standard(kind: str, name: str) -> None:
    doc = _k8s(kind, name)
    for setting in (
        "runAsNonRoot: true",
        "readOnlyRootFilesystem: true",
        "allowPrivilegeEscalation: false",
        'drop: ["ALL"]',
        "type: RuntimeDefault",
        "automountServiceAccountToken: false",
        "livenessProbe:",
        "readinessProbe:",
        "limits:",
    ):
        assert setting in doc, f"{kind}/{name}: {setting}"


def test_k8s_ephemeral_redis_lives_in_memory_only() -> None:
    doc = _k8s("Deployment", "redis-ephemeral")
    assert '"--save", "", "--appendonly", "no"' in doc
    assert "medium: Memory" in doc
    assert "persistentVolumeClaim" not in doc and "volumeClaimTemplates" not in doc
    durable = _k8s("StatefulSet", "redis-durable")
    assert "volumeClaimTemplates:" in durable


@pytest.mark.parametrize("name", ["redis-ephemeral", "redis-durable"])
def test_k8s_redis_config_is_a_verbatim_copy(name: str) -> None:
    doc = _k8s("ConfigMap", f"{name}-conf")
    lines = doc.split("  redis.conf: |\n", 1)[1].splitlines()
    body = []
    for line in lines:
        if line and not line.startswith("    "):
            break
        body.append(line[4:])
    assert "\n".join(body).rstrip("\n") == (DEPLOY / f"{name}.conf").read_text().rstrip("\n")


def test_k8s_ingress_routes_without_cookies_and_blocks_metrics() -> None:
    ingress = _k8s("Ingress", "rc-chat")
    code = _strip_comments(ingress)
    assert "ingressClassName: nginx" in code
    assert 'nginx.ingress.kubernetes.io/upstream-hash-by: "$remote_addr"' in code
    assert "affinity" not in code  # no routing cookie in the visitor's browser
    assert 'nginx.ingress.kubernetes.io/enable-access-log: "false"' in code
    assert 'proxy-body-size: "64k"' in code
    blocked = _strip_comments(_k8s("Ingress", "rc-chat-metrics-blocked"))
    assert "path: /metrics" in blocked and "pathType: Exact" in blocked
    assert 'allowlist-source-range: "127.0.0.1/32"' in blocked


def test_k8s_network_policies_isolate_app_and_redis() -> None:
    assert "podSelector: {}" in _k8s("NetworkPolicy", "default-deny")
    server = _k8s("NetworkPolicy", "rc-chat-server")
    assert "kubernetes.io/metadata.name: ingress-nginx" in server
    assert "port: 8080" in server and "port: 6379" in server
    redis_policy = _k8s("NetworkPolicy", "redis")
    assert "app.kubernetes.io/component: server" in redis_policy


def test_k8s_kustomization_applies_everything_but_the_example_secret() -> None:
    kustomization = (K8S / "kustomization.yaml").read_text()
    listed = set(re.findall(r"^  - (\S+\.yaml)$", kustomization, re.MULTILINE))
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == manifests - {"secret.example.yaml"}
    secret = _k8s("Secret", "rc-chat-secret")
    assert "REPLACE-ME" in secret and "token_urlsafe" in secret


# --------------------------------------------------------------------------- systemd


def test_systemd_unit_is_hardened_and_reads_the_key_from_a_credential(tmp_path: Path) -> None:
    text = (DEPLOY / "systemd" / "rc-chat.service").read_text()
    settings: dict[str, list[str]] = {}
    for line in _strip_comments(text).splitlines():
        key, sep, value = line.partition("=")
        if sep:
            settings.setdefault(key.strip(), []).append(value.strip())
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "DynamicUser": "yes",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
        "IPAddressDeny": "any",
    }.items():
        assert settings.get(key) == [value], key
    assert settings["ReadWritePaths"] == ["/var/lib/rc-chat"]
    assert "CHAT_DATA_DIR=/var/lib/rc-chat" in settings["Environment"]
    assert settings["LoadCredential"] == ["secret_key:/etc/rc-chat/secret_key"]
    assert "CHAT_SECRET_KEY_FILE=%d/secret_key" in settings["Environment"]
    assert not any(e.startswith("CHAT_SECRET_KEY=") for e in settings["Environment"])
    (exec_start,) = settings["ExecStart"]
    assert exec_start == "/opt/rc-chat/.venv/bin/rc-chat serve --host 127.0.0.1 --port 8080"

    analyze = shutil.which("systemd-analyze")
    if analyze:  # a syntax check where systemd's tools exist
        unit = tmp_path / "rc-chat.service"
        unit.write_text(
            text.replace(exec_start, "/bin/true").replace(
                "WorkingDirectory=/opt/rc-chat", f"WorkingDirectory={tmp_path}"
            )
        )
        result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- docs


def test_operations_doc_covers_what_operators_must_know() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    for heading in (
        "## Settings",
        "## Backups",
        "## Secret key",
        "## Upgrades",
        "## Logging",
        "## Privacy checklist",
    ):
        assert heading in text, heading
    for setting in re.findall(r"\bCHAT_[A-Z_]+\b", _compose_text() + (K8S / "configmap.yaml").read_text()):
        assert setting in text, f"{setting} is not documented"
