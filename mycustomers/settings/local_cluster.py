"""Where the project-local PostgreSQL cluster lives and listens (standard library only).

The settings read the default DATABASE_URL from here, and the cluster's manager
(``mycustomers.devtools.pgcluster``) starts the server at the same place, so the two always
agree without the settings importing development tooling.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent.parent
DATABASE_NAME = "mycustomers"
SUPERUSER = "postgres"
# A unix-socket path is limited to 107 bytes including the file name.
SOCKET_PATH_LIMIT = 107 - len("/.s.PGSQL.5432")


def var_dir() -> Path:
    return Path(os.environ.get("MYCUSTOMERS_VAR_DIR", ROOT / ".var"))


def socket_dir(base: Path) -> Path:
    preferred = base / "run"
    if len(str(preferred)) <= SOCKET_PATH_LIMIT:
        return preferred
    # Deep checkout: keep the socket in a short, per-checkout directory under /tmp.
    digest = hashlib.sha1(str(base).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"mycustomers-{digest}"


def database_url(base: Path | None = None, database: str = DATABASE_NAME) -> str:
    # The socket directory as the (percent-encoded) host: Django's HOST, which dbshell and
    # every client read, rather than a connection option only psycopg sees.
    host = quote(str(socket_dir(base or var_dir())), safe="")
    return f"postgres://{SUPERUSER}@{host}/{database}"
