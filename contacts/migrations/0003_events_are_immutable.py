from django.db import migrations

# Events are the source of truth for every counter: the database itself refuses to edit one.
FORBID_UPDATE = """
CREATE FUNCTION contact_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contact events are immutable';
END $$;
CREATE TRIGGER contact_event_no_update BEFORE UPDATE ON contacts_contactevent
    FOR EACH ROW EXECUTE FUNCTION contact_event_immutable();
"""
ALLOW_UPDATE = """
DROP TRIGGER contact_event_no_update ON contacts_contactevent;
DROP FUNCTION contact_event_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_initial")]
    operations = [migrations.RunSQL(FORBID_UPDATE, ALLOW_UPDATE)]
