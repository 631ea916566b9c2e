from django.db import migrations

# The background-actions banner (mycustomers.views.background) skips its query while the
# cache knows it is empty: starting, advancing, finishing, stopping or dismissing a mass
# action gives its performer a new data version, as customer changes do (0009).
NOTE_CHANGES = """
CREATE TRIGGER massaction_inserted AFTER INSERT ON mycustomers_massaction
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER massaction_deleted AFTER DELETE ON mycustomers_massaction
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER massaction_updated AFTER UPDATE ON mycustomers_massaction
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
"""

DROP_CHANGES = """
DROP TRIGGER massaction_updated ON mycustomers_massaction;
DROP TRIGGER massaction_deleted ON mycustomers_massaction;
DROP TRIGGER massaction_inserted ON mycustomers_massaction;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("mycustomers", "0018_missed_call_index_and_room_for_hot_updates"),
    ]

    operations = [migrations.RunSQL(NOTE_CHANGES, DROP_CHANGES)]
