from django.db import migrations

# Joining or leaving a list changes the list's count, and creating, renaming or deleting a
# list changes the main view's Display list choices (cached with the counts): each gives the
# performer a new data version, as customer changes do (mycustomers migration 0009).
TABLES = ("lists_membership", "lists_customerlist")


def note_changes(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_inserted AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER {table}_deleted AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER {table}_updated AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
"""


def drop_changes(table: str) -> str:
    return "".join(
        f"DROP TRIGGER {table}_{event} ON {table};\n" for event in ("updated", "deleted", "inserted")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0003_lean_indexes"),
        ("mycustomers", "0009_counts_change_with_a_data_version"),
    ]

    operations = [
        migrations.RunSQL(note_changes(table), drop_changes(table)) for table in TABLES
    ]
