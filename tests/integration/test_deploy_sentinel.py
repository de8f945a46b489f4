"""The Sentinel examples in deploy/ (compose.sentinel.yaml, k8s/sentinel/) parse and
hang together: every file they mount exists, every setting redis-ha.sh needs is set,
the chat servers' redis+sentinel:// URL names the sentinels and the service that
deploy/sentinel.conf monitors, no data node has a disk, and the Kubernetes ConfigMap
carries verbatim copies of redis-ha.sh and sentinel.conf. That the processes behave is
tests/integration/test_sentinel.py (they run there through redis-ha.sh).

No YAML parser is a Python dependency: the files are parsed with js-yaml, which the
conformance runner's packages install (tests/conformance/package-lock.json, `make
conformance-deps`). ``kubectl kustomize`` builds the component where kubectl exists.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chat_server.storage.redis_url import parse_redis_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPONENT = DEPLOY / "k8s" / "sentinel"
JS_YAML = ROOT / "tests" / "conformance" / "node_modules" / "js-yaml"

# `${NAME:?...}` in redis-ha.sh: required by the mode that reads it.
NODE_SETTINGS = {"RC_REDIS_NODES", "RC_SENTINELS", "RC_REDIS_SELF", "RC_REDIS_CONF", "RC_REDIS_SERVICE"}
SENTINEL_SETTINGS = {
    "RC_REDIS_NODES",
    "RC_SENTINELS",
    "RC_SENTINEL_SELF",
    "RC_SENTINEL_CONF",
    "RC_SENTINEL_DIR",
    "RC_REDIS_SERVICE",
}


def load_yaml(path: Path) -> list[Any]:
    """Every document of a YAML file, as JSON values (anchors and ``<<`` merges resolved)."""
    if not JS_YAML.is_dir():
        pytest.fail("tests/conformance/node_modules is missing: run `make test` (or `make conformance-deps`)")
    script = (
        "const y = require(process.argv[1]);"
        "process.stdout.write(JSON.stringify(y.loadAll(require('fs').readFileSync(process.argv[2], 'utf8'))));"
    )
    done = subprocess.run(
        ["node", "-e", script, str(JS_YAML), str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, f"{path.name} does not parse: {done.stderr}"
    documents: list[Any] = json.loads(done.stdout)
    return [d for d in documents if d is not None]


def monitored_service() -> str:
    match = re.search(r"^sentinel monitor (\S+) @PRIMARY@ 2$", (DEPLOY / "sentinel.conf").read_text(), re.MULTILINE)
    assert match, "deploy/sentinel.conf must monitor one service at @PRIMARY@ with quorum 2"
    return match.group(1)


def required_by_script() -> set[str]:
    return set(re.findall(r"\$\{(RC_[A-Z_]+):\?", (DEPLOY / "redis-ha.sh").read_text()))


def check_topology(env: dict[str, str], url: str) -> None:
    """The URL the chat servers use names the sentinels redis-ha.sh knows, and the service
    sentinel.conf monitors; every node and sentinel lists itself among them."""
    target = parse_redis_url(url)
    assert target.is_sentinel and target.db == 0
    assert target.service == env["RC_REDIS_SERVICE"] == monitored_service()
    assert [f"{h}:{p}" for h, p in target.sentinels] == env["RC_SENTINELS"].split()
    assert len(env["RC_SENTINELS"].split()) == 3 and len(env["RC_REDIS_NODES"].split()) == 2


# --------------------------------------------------------------------------- compose


def test_compose_sentinel_layer_parses_and_every_reference_exists() -> None:
    (base,) = load_yaml(DEPLOY / "compose.yaml")
    (layer,) = load_yaml(DEPLOY / "compose.sentinel.yaml")
    services: dict[str, Any] = layer["services"]
    # What the script insists on is among what these tests check for.
    assert required_by_script() <= NODE_SETTINGS | SENTINEL_SETTINGS
    nodes = {n: s for n, s in services.items() if s.get("entrypoint", [None])[-1:] == ["node"]}
    sentinels = {n: s for n, s in services.items() if s.get("entrypoint", [None])[-1:] == ["sentinel"]}
    assert set(nodes) == {"redis-ephemeral", "redis-ephemeral-b"} and len(sentinels) == 3
    # The single instance of compose.yaml is the first data node; the layer adds the rest.
    assert "redis-ephemeral" in base["services"]
    networks = set(base["networks"])

    for name, service in {**nodes, **sentinels}.items():
        kind = "node" if name in nodes else "sentinel"
        env = service["environment"]
        missing = (NODE_SETTINGS if kind == "node" else SENTINEL_SETTINGS) - set(env)
        assert not missing, (name, missing)
        assert service["entrypoint"] == ["/bin/sh", "/usr/local/bin/redis-ha.sh", kind], name
        mounts = {}
        for volume in service["volumes"]:
            source, target, mode = volume.split(":")
            assert mode == "ro" and source.startswith("./"), (name, volume)
            assert (DEPLOY / source).is_file(), (name, source)
            mounts[target] = source
        assert mounts["/usr/local/bin/redis-ha.sh"] == "./redis-ha.sh", name
        if kind == "node":
            assert mounts[env["RC_REDIS_CONF"]] == "./redis-ephemeral.conf", name
            assert env["RC_REDIS_SELF"] in env["RC_REDIS_NODES"].split(), name
            assert env["RC_REDIS_SELF"].split(":")[0] == service["hostname"] == name
            assert service["command"] == ["--save", "", "--appendonly", "no"], name
        else:
            assert mounts[env["RC_SENTINEL_CONF"]] == "./sentinel.conf", name
            assert env["RC_SENTINEL_SELF"] in env["RC_SENTINELS"].split(), name
            assert env["RC_SENTINEL_SELF"].split(":")[0] == service["hostname"] == name
            assert service["command"] == [], name
        # RAM only, nothing on a volume, no core dumps, not reachable from outside.
        assert service["tmpfs"] == [f"{env.get('RC_SENTINEL_DIR', '/data')}:size={'16m' if kind == 'node' else '1m'}"]
        assert service["read_only"] is True and service["ulimits"] == {"core": 0}, name
        assert "ports" not in service and set(service["networks"]) <= networks, name
        for other in service.get("depends_on", {}):
            assert other in services, (name, other)

    for app in ("app1", "app2"):
        env = services[app]["environment"]
        node_env = nodes["redis-ephemeral"]["environment"]
        check_topology(node_env, env["CHAT_EPHEMERAL_URL"])
        assert env["CHAT_REDIS_WAIT_REPLICAS"] == "1"
        assert app in base["services"]
        assert set(services[app]["depends_on"]) == set(sentinels)
        # The hosts in the URL are the sentinel services.
        hosts = {h for h, _ in parse_redis_url(env["CHAT_EPHEMERAL_URL"]).sentinels}
        assert hosts == set(sentinels)


# --------------------------------------------------------------------------- Kubernetes


def component_documents() -> dict[tuple[str, str], Any]:
    documents = load_yaml(COMPONENT / "redis-ha.yaml") + load_yaml(COMPONENT / "networkpolicy.yaml")
    return {(d["kind"], d["metadata"]["name"]): d for d in documents}


def container_env(workload: dict[str, Any]) -> dict[str, str]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value", "") for e in container["env"]}
    # Kubernetes expands $(POD_NAME); the first pod stands for all of them.
    return {k: v.replace("$(POD_NAME)", f"{workload['metadata']['name']}-0") for k, v in env.items()}


def test_k8s_sentinel_component_parses_and_hangs_together() -> None:
    (kustomization,) = load_yaml(COMPONENT / "kustomization.yaml")
    assert kustomization["kind"] == "Component"
    for resource in kustomization["resources"]:
        assert (COMPONENT / resource).is_file(), resource
    deleted = {
        (p["patch"].split("kind: ")[1].split()[0], p["patch"].split("name: ")[1].split()[0])
        for p in kustomization["patches"]
        if "$patch: delete" in p["patch"]
    }
    assert deleted == {("Deployment", "redis-ephemeral"), ("Service", "redis-ephemeral")}
    (config_patch,) = [p["patch"] for p in kustomization["patches"] if "$patch: delete" not in p["patch"]]
    url = re.search(r'CHAT_EPHEMERAL_URL: "(\S+)"', config_patch)
    assert url and 'CHAT_REDIS_WAIT_REPLICAS: "1"' in config_patch

    documents = component_documents()
    nodes = documents[("StatefulSet", "redis-ephemeral")]
    sentinels = documents[("StatefulSet", "redis-sentinel")]
    assert nodes["spec"]["replicas"] == 2 and sentinels["spec"]["replicas"] == 3
    node_env, sentinel_env = container_env(nodes), container_env(sentinels)
    assert NODE_SETTINGS <= set(node_env) and SENTINEL_SETTINGS <= set(sentinel_env)
    check_topology(node_env, url.group(1))
    for key in ("RC_REDIS_NODES", "RC_SENTINELS", "RC_REDIS_SERVICE"):
        assert node_env[key] == sentinel_env[key], key
    assert node_env["RC_REDIS_SELF"] == node_env["RC_REDIS_NODES"].split()[0]
    assert sentinel_env["RC_SENTINEL_SELF"] == sentinel_env["RC_SENTINELS"].split()[0]
    # Every name the others use resolves to a headless Service of the right pods.
    for env_name, workload in (("RC_REDIS_NODES", nodes), ("RC_SENTINELS", sentinels)):
        service = documents[("Service", workload["spec"]["serviceName"])]
        assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"] is True
        assert service["spec"]["selector"] == workload["spec"]["selector"]["matchLabels"]
        for index, address in enumerate(node_env[env_name].split()):
            assert address.split(":")[0] == f"{workload['metadata']['name']}-{index}.{service['metadata']['name']}"

    for workload, kind in ((nodes, "node"), (sentinels, "sentinel")):
        pod = workload["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"] == ["/bin/sh", "/etc/redis-ha/redis-ha.sh", kind]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes[mounts["/etc/redis-ha"]]["configMap"]["name"] == "redis-ha"
        assert volumes[mounts["/data"]]["emptyDir"]["medium"] == "Memory"
        assert "volumeClaimTemplates" not in workload["spec"]
        assert all("persistentVolumeClaim" not in v and "hostPath" not in v for v in volumes.values())
        # The restricted Pod Security Standard, as the base's workloads.
        assert pod["automountServiceAccountToken"] is False and pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"livenessProbe", "readinessProbe"} <= set(container) and "limits" in container["resources"]
    (node_container,) = nodes["spec"]["template"]["spec"]["containers"]
    assert node_container["args"] == ["--save", "", "--appendonly", "no"]
    assert volumes_of(nodes)["conf"]["configMap"]["name"] == "redis-ephemeral-conf"
    assert node_env["RC_REDIS_CONF"] == "/etc/redis/redis.conf"
    assert node_container["lifecycle"]["preStop"]["exec"]["command"][-1] == "handover"
    assert sentinel_env["RC_SENTINEL_CONF"] == "/etc/redis-ha/sentinel.conf"


def volumes_of(workload: dict[str, Any]) -> dict[str, Any]:
    return {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}


@pytest.mark.parametrize("key", ["redis-ha.sh", "sentinel.conf"])
def test_k8s_sentinel_config_is_a_verbatim_copy(key: str) -> None:
    config = component_documents()[("ConfigMap", "redis-ha")]
    assert config["data"][key].rstrip("\n") == (DEPLOY / key).read_text().rstrip("\n")


def test_k8s_network_policies_let_the_set_talk_and_nothing_else() -> None:
    documents = component_documents()
    app = documents[("NetworkPolicy", "rc-chat-server-sentinel")]
    assert [p["port"] for rule in app["spec"]["egress"] for p in rule["ports"]] == [26379]
    for name in ("redis-ephemeral-ha", "redis-sentinel"):
        policy = documents[("NetworkPolicy", name)]
        ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
        assert ports == {6379, 26379, 53}, name
        for rule in policy["spec"]["egress"]:
            for peer in rule["to"]:
                # Inside the namespace, or the cluster DNS: no ipBlock, no other namespace.
                assert "ipBlock" not in peer, name
                if "namespaceSelector" in peer:
                    assert {p["port"] for p in rule["ports"]} == {53}, name


def test_k8s_kustomize_builds_the_base_with_the_component(tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed here; the component was parsed above")
    # The base with its `components:` line switched on, as operations.md says.
    base = tmp_path / "k8s"
    shutil.copytree(DEPLOY / "k8s", base)
    kustomization = (base / "kustomization.yaml").read_text()
    assert "# components:\n#   - sentinel\n" in kustomization
    (base / "kustomization.yaml").write_text(
        kustomization.replace("# components:\n#   - sentinel\n", "components:\n  - sentinel\n")
    )
    done = subprocess.run([kubectl, "kustomize", str(base)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    built = tmp_path / "built.yaml"
    built.write_text(done.stdout)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in load_yaml(built)}
    assert ("Deployment", "redis-ephemeral") not in kinds and ("Service", "redis-ephemeral") not in kinds
    assert {("StatefulSet", "redis-ephemeral"), ("StatefulSet", "redis-sentinel")} <= kinds
    config = next(d for d in load_yaml(built) if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "rc-chat-config")
    assert config["data"]["CHAT_EPHEMERAL_URL"].startswith("redis+sentinel://")


# --------------------------------------------------------------------------- docs


def test_operations_doc_explains_running_with_sentinel() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    assert "## High availability without persistence" in text
    for word in ("compose.sentinel.yaml", "deploy/k8s/sentinel", "redis-ha.sh", "handover", "WAIT"):
        assert word in text, word
    layer = (DEPLOY / "compose.sentinel.yaml").read_text()
    for setting in set(re.findall(r"\bCHAT_[A-Z_]+\b", layer)):
        assert f"`{setting}`" in text, f"{setting} is not documented"
