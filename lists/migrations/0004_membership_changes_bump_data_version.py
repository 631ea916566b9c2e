from django.db import migrations

# Joining or leaving a list changes the list's count: see mycustomers migration 0009.
NOTE_CHANGES = """
CREATE TRIGGER membership_inserted AFTER INSERT ON lists_membership
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER membership_deleted AFTER DELETE ON lists_membership
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER membership_updated AFTER UPDATE ON lists_membership
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
"""

DROP_CHANGES = """
DROP TRIGGER membership_updated ON lists_membership;
DROP TRIGGER membership_deleted ON lists_membership;
DROP TRIGGER membership_inserted ON lists_membership;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0003_lean_indexes"),
        ("mycustomers", "0009_counts_change_with_a_data_version"),
    ]

    operations = [migrations.RunSQL(NOTE_CHANGES, DROP_CHANGES)]
