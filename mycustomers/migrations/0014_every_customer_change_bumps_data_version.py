from django.db import migrations

# The cached Total row and the counts of range filters (earnings, counters, last contact and
# its type, follow-up, missed call) read more than the columns 0009 watched: any change to a
# customer row now gives its performer a new data version.
EVERY_CHANGE = """
CREATE OR REPLACE FUNCTION note_customer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO performer_data_change (performer_id)
    SELECT DISTINCT new_rows.performer_id
    FROM new_rows JOIN old_rows USING (id)
    WHERE new_rows IS DISTINCT FROM old_rows;
    RETURN NULL;
END $$;
"""

WATCHED_COLUMNS = """
CREATE OR REPLACE FUNCTION note_customer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO performer_data_change (performer_id)
    SELECT DISTINCT new_rows.performer_id
    FROM new_rows JOIN old_rows USING (id)
    WHERE (new_rows.performer_id, new_rows.status, new_rows.member_name, new_rows.nickname,
           new_rows.affiliate_referral, new_rows.list_names, new_rows.new_cleared,
           new_rows.first_contact)
        IS DISTINCT FROM
          (old_rows.performer_id, old_rows.status, old_rows.member_name, old_rows.nickname,
           old_rows.affiliate_referral, old_rows.list_names, old_rows.new_cleared,
           old_rows.first_contact);
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("mycustomers", "0013_performer_time_zone"),
    ]

    operations = [migrations.RunSQL(EVERY_CHANGE, WATCHED_COLUMNS)]
