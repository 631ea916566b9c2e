from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from mycustomers.devtools import backup
from mycustomers.models import Customer
from tests.factories import make_customer


def _url_for(database: str) -> str:
    params = connection.get_connection_params()
    host = params.get("host") or ""
    return psycopg.conninfo.make_conninfo(
        dbname=database, host=host, user=params.get("user"), port=params.get("port")
    )


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_a_database(owner, tmp_path):
    for name in ("alice", "bob", "carol"):
        make_customer(owner, name)
    scratch = f"{connection.settings_dict['NAME']}_restore"
    admin_url = _url_for("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        dump = tmp_path / "db.dump"
        backup.backup(dump, _url_for(connection.settings_dict["NAME"]))
        backup.restore(dump, _url_for(scratch))
        with psycopg.connect(_url_for(scratch)) as restored:
            names = restored.execute(
                f"SELECT member_name FROM {Customer._meta.db_table} ORDER BY member_name"
            ).fetchall()
            (restored_version,) = restored.execute(
                "SELECT data_version FROM performer WHERE id = %s", [owner.pk]
            ).fetchone()
        assert [n for (n,) in names] == ["alice", "bob", "carol"]
        # Past every version the backed-up database had handed out (cached counts).
        owner.refresh_from_db()
        assert restored_version > owner.data_version > 0
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


def test_restore_refuses_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        backup.restore(tmp_path / "nope.dump", "postgresql:///nowhere")
