from django.db import migrations

# The main view's Display list choices (the performer's list names) are cached with the
# counts: creating, renaming or deleting a list gives the performer a new data version too
# (mycustomers migration 0009).
NOTE_CHANGES = """
CREATE TRIGGER customer_list_inserted AFTER INSERT ON lists_customerlist
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER customer_list_deleted AFTER DELETE ON lists_customerlist
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER customer_list_updated AFTER UPDATE ON lists_customerlist
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
"""

DROP_CHANGES = """
DROP TRIGGER customer_list_updated ON lists_customerlist;
DROP TRIGGER customer_list_deleted ON lists_customerlist;
DROP TRIGGER customer_list_inserted ON lists_customerlist;
"""


class Migration(migrations.Migration):
    dependencies = [("lists", "0004_membership_changes_bump_data_version")]

    operations = [migrations.RunSQL(NOTE_CHANGES, DROP_CHANGES)]
