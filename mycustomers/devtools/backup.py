"""Back up and restore the project's database with pg_dump / pg_restore.

    python -m mycustomers.devtools.backup backup  FILE   # custom-format dump of the database
    python -m mycustomers.devtools.backup restore FILE   # replace its contents with FILE

Without DATABASE_URL the project's local cluster is used, as everywhere else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

from mycustomers.devtools.pgcluster import ClusterError, default_cluster, find_bin_dir

# A running server caches counts per performer and data version (mycustomers.counts). The
# restored data must not meet versions the server cached for other data, and the restored
# sequence would hand out again numbers it has already seen: move the sequence past anything
# issued before (it counts commits, never faster than one per microsecond) and give every
# performer a new version.
RENEW_DATA_VERSIONS = """
SELECT setval('performer_data_version', greatest(
    (SELECT last_value FROM performer_data_version),
    (extract(epoch FROM clock_timestamp()) * 1000000)::bigint));
UPDATE performer SET data_version = nextval('performer_data_version');
"""


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or default_cluster().url


def _tool(name: str) -> str:
    try:
        return str(find_bin_dir() / name)
    except ClusterError:
        found = shutil.which(name)
        if not found:
            raise
        return found


def backup(path: Path, url: str | None = None) -> None:
    subprocess.run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--file",
            str(path),
            "--dbname",
            url or database_url(),
        ],
        check=True,
    )


def restore(path: Path, url: str | None = None) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"no backup at {path}")
    subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            url or database_url(),
            str(path),
        ],
        check=True,
    )
    with psycopg.connect(url or database_url()) as connection:
        connection.execute(RENEW_DATA_VERSIONS)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in {"backup", "restore"}:
        print("usage: python -m mycustomers.devtools.backup backup|restore FILE", file=sys.stderr)
        return 2
    action, path = argv[1], Path(argv[2])
    try:
        (backup if action == "backup" else restore)(path)
    except (ClusterError, FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{action}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
