"""Installing the venv from the hashed lock (mycustomers/devtools/bootstrap.py)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mycustomers.devtools import bootstrap
from mycustomers.devtools.bootstrap import InstallError

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def _normalised(requirement: str) -> str:
    name, version = re.sub(r"\[.*\]", "", requirement).split("==")
    return f"{re.sub(r'[-_.]+', '-', name).lower()}=={version}"


def test_the_lock_pins_every_dependency_of_pyproject_at_its_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        _normalised(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    }
    locked = {
        _normalised(line.split()[0]) for line in LOCK.read_text().splitlines() if "==" in line
    }
    assert wanted - locked == set(), "pyproject.toml changed: run `make lock`"


def test_every_locked_package_has_hashes():
    blocks = re.split(r"\n(?=\S)", LOCK.read_text())
    pins = [block for block in blocks if "==" in block.split("\n")[0]]
    assert pins and all("--hash=sha256:" in block for block in pins)


def test_the_uv_that_installs_the_lock_is_pinned_in_it_with_hashes():
    block = bootstrap.requirement_block(LOCK, "uv")
    lines = block.splitlines()
    assert re.fullmatch(r"uv==[\d.]+ \\", lines[0])
    assert all(line.strip().startswith("--hash=sha256:") for line in lines[1:])
    assert not block.rstrip().endswith("\\")  # pip would read the next line as part of it


def test_a_lock_without_uv_says_to_regenerate_it(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("django==5.2.19 \\\n    --hash=sha256:00\n")
    with pytest.raises(InstallError, match="pins no uv: regenerate it with `make lock`"):
        bootstrap.requirement_block(lock, "uv")


def test_without_ensurepip_it_names_the_package_to_install(monkeypatch):
    monkeypatch.setattr(bootstrap.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(bootstrap.os, "geteuid", lambda: 1000)  # not root: no apt-get of ours
    with pytest.raises(InstallError, match="apt-get install python3-venv"):
        bootstrap.ensure_venv_module()


def test_as_root_with_apt_it_installs_the_venv_module_itself(monkeypatch):
    commands = []
    found = iter([None, object()])  # missing, then there once apt-get has run
    monkeypatch.setattr(bootstrap.importlib.util, "find_spec", lambda name: next(found))
    monkeypatch.setattr(bootstrap.os, "geteuid", lambda: 0)
    monkeypatch.setattr(bootstrap.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(bootstrap, "_run", lambda command, env=None: commands.append(command))

    bootstrap.ensure_venv_module()

    assert commands[-1] == ["apt-get", "install", "-y", "-qq", "python3-venv"]


def test_a_failed_install_leaves_no_half_made_venv(monkeypatch, tmp_path, capsys):
    venv = tmp_path / ".venv"

    def venv_fails_halfway(command, env=None):
        (venv / "bin").mkdir(parents=True)
        raise InstallError("`python -m venv` failed (exit 1)")

    monkeypatch.setattr(bootstrap, "_run", venv_fails_halfway)

    assert bootstrap.main(["bootstrap", str(venv), str(LOCK)]) == 1
    assert not venv.exists()
    assert f"removed {venv}" in capsys.readouterr().err
