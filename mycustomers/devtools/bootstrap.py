"""Make the virtualenv from the hashed lock file with a pinned uv (`make install`).

Standard library only, and run by the system's Python: nothing else is installed yet.

    python3 -m mycustomers.devtools.bootstrap .venv requirements.lock

A venv with uv is synced with the lock (seconds, nothing downloaded when nothing changed).
Otherwise the venv is made anew: `python -m venv` (its pip is used once, to install the uv
the lock pins, with its hashes), then `uv pip sync`. Any failure removes the venv, so the
next `make` starts clean instead of from a half-made one.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

VENV_PACKAGE = "python3-venv"  # Debian's: ensurepip, which `python -m venv` needs


class InstallError(RuntimeError):
    """Something the operator must fix; the message says what."""


def install(venv: Path, lock: Path) -> None:
    if not (venv / "bin" / "uv").exists():
        shutil.rmtree(venv, ignore_errors=True)  # an older pip-made venv, or a broken one
        ensure_venv_module()
        _run([sys.executable, "-m", "venv", str(venv)])
        pinned_uv = venv / "uv-requirement.txt"
        pinned_uv.write_text(requirement_block(lock, "uv"))
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "--require-hashes"]
        _run([*pip, "-r", str(pinned_uv)])
    uv = str(venv / "bin" / "uv")
    python = str(venv / "bin" / "python")
    # sync, not install: the venv holds exactly the lock, whatever was in it before.
    _run([uv, "pip", "sync", "--quiet", "--require-hashes", "--python", python, str(lock)])


def ensure_venv_module() -> None:
    """Debian's python3 lacks ensurepip until python3-venv is installed: as root with apt,
    install it; otherwise say exactly what to install."""
    if importlib.util.find_spec("ensurepip") is not None:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Python's venv module lacks ensurepip: apt-get install {VENV_PACKAGE}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run(["apt-get", "update", "-qq"], env=env)
        _run(["apt-get", "install", "-y", "-qq", VENV_PACKAGE], env=env)
        importlib.invalidate_caches()
        if importlib.util.find_spec("ensurepip") is not None:
            return
    raise InstallError(
        f"{sys.executable} has no venv module (ensurepip): install it "
        f"(Debian/Ubuntu: sudo apt-get install {VENV_PACKAGE}), then run make again."
    )


def requirement_block(lock: Path, name: str) -> str:
    """The lines of one package in a `uv pip compile --generate-hashes` file: its pin and
    hashes, which continue while a line ends with a backslash."""
    block: list[str] = []
    for line in lock.read_text().splitlines():
        if block and not block[-1].endswith("\\"):
            break
        if block or line.startswith(f"{name}=="):
            block.append(line)
    if not block:
        raise InstallError(f"{lock} pins no {name}: regenerate it with `make lock`.")
    return "\n".join(block).rstrip("\\").rstrip() + "\n"


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, env=env)
    if result.returncode != 0:
        raise InstallError(f"`{' '.join(command)}` failed (exit {result.returncode})")


def main(argv: list[str]) -> int:
    venv, lock = Path(argv[1]), Path(argv[2])
    try:
        install(venv, lock)
    except (InstallError, OSError, KeyboardInterrupt) as exc:
        shutil.rmtree(venv, ignore_errors=True)
        print(f"error: {exc or 'interrupted'}; removed {venv}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
