"""The hash-locked versions never fall below the floors declared in pyproject.toml.

pyproject.toml states the lowest version of each dependency that excludes known
advisories; requirements.lock and requirements-test.lock (pip-compile
--generate-hashes, installed with --require-hashes) pin what is actually installed.
This test fails when a lock is regenerated against an older index, edited by hand, or
when a floor is raised in pyproject.toml without regenerating the locks.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")

# Floors the security issue requires, whatever pyproject.toml says (so lowering a floor
# there cannot silently re-admit a vulnerable release).
REQUIRED_FLOORS = {
    "python-socketio": "5.16.3",
    "python-engineio": "4.13.3",
    "aiohttp": "3.14.4",
}


def declared_floors(optional: tuple[str, ...] = ()) -> dict[str, Version]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    specs = list(project["dependencies"])
    for extra in optional:
        specs += project.get("optional-dependencies", {}).get(extra, [])
    floors: dict[str, Version] = {}
    for spec in specs:
        req = Requirement(spec)
        lows = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=", ">")]
        if lows:
            floors[canonicalize_name(req.name)] = max(lows)
    return floors


def locked(path: Path) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


LOCKS = {"requirements.lock": (), "requirements-test.lock": ("test",)}


@pytest.mark.parametrize("lock_name", sorted(LOCKS))
def test_lock_file_pins_every_package_with_hashes(lock_name: str) -> None:
    text = (ROOT / lock_name).read_text(encoding="utf-8")
    pins = locked(ROOT / lock_name)
    assert pins, f"{lock_name} pins nothing"
    # --generate-hashes: each pin is followed by at least one sha256.
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        if PIN.match(block.strip()):
            assert "--hash=sha256:" in block, f"{lock_name}: no hash for {block.splitlines()[0]}"


@pytest.mark.parametrize("lock_name", sorted(LOCKS))
def test_locked_versions_meet_declared_floors(lock_name: str) -> None:
    floors = declared_floors(LOCKS[lock_name])
    pins = locked(ROOT / lock_name)
    missing = sorted(name for name in floors if name not in pins)
    assert not missing, f"{lock_name} does not pin direct dependencies {missing}: regenerate it"
    too_old = {name: f"{pins[name]} < {floor}" for name, floor in floors.items() if pins[name] < floor}
    assert not too_old, f"{lock_name} pins versions below the floors in pyproject.toml: {too_old}"


def test_pyproject_floors_exclude_the_known_advisories() -> None:
    floors = declared_floors()
    for name, minimum in REQUIRED_FLOORS.items():
        assert name in floors, f"pyproject.toml declares no floor for {name}"
        assert floors[name] >= Version(minimum), f"{name} floor {floors[name]} < {minimum}"
    # Every runtime dependency has a floor at all (a bare name admits any old release).
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    bare = [s for s in data["project"]["dependencies"] if not Requirement(s).specifier]
    assert not bare, f"dependencies without a minimum version: {bare}"
