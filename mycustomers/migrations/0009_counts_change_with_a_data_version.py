from django.db import migrations, models

# Every statement that changes what a cached count depends on notes the performers it touched
# (statement triggers with transition tables: one insert per statement, not per row). At
# commit, a deferred trigger gives each noted performer a new data_version from a sequence:
# - at commit, so that the performer row is locked last, in id order, for an instant
#   (locked by the first statement instead, two writers could deadlock on customer rows);
# - from a sequence, so that a rolled-back transaction's version is never handed out again.
# The change table is empty outside a transaction: each one removes the rows it noted.
NOTE_CHANGES = """
CREATE SEQUENCE performer_data_version;
CREATE TABLE performer_data_change (performer_id bigint NOT NULL);

CREATE FUNCTION note_data_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO performer_data_change (performer_id)
    SELECT DISTINCT performer_id FROM changed_rows;
    RETURN NULL;
END $$;

-- What the cached counts read (mycustomers.counts): visibility, name and nickname (search,
-- initial), the affiliate flag and list membership; plus what "New" and "Unassigned" read.
CREATE FUNCTION note_customer_change() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION apply_data_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    performer_ids bigint[];
BEGIN
    -- The first call applies every change this transaction noted; later calls find none.
    WITH noted AS (DELETE FROM performer_data_change RETURNING performer_id)
    SELECT array_agg(DISTINCT performer_id) INTO performer_ids FROM noted;
    IF performer_ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM performer WHERE id = ANY (performer_ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE performer SET data_version = nextval('performer_data_version')
    WHERE id = ANY (performer_ids);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER apply_data_changes AFTER INSERT ON performer_data_change
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION apply_data_changes();

CREATE TRIGGER customer_inserted AFTER INSERT ON mycustomers_customer
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER customer_deleted AFTER DELETE ON mycustomers_customer
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER customer_updated AFTER UPDATE ON mycustomers_customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION note_customer_change();
"""

DROP_CHANGES = """
DROP TRIGGER customer_updated ON mycustomers_customer;
DROP TRIGGER customer_deleted ON mycustomers_customer;
DROP TRIGGER customer_inserted ON mycustomers_customer;
DROP TABLE performer_data_change;
DROP FUNCTION apply_data_changes();
DROP FUNCTION note_customer_change();
DROP FUNCTION note_data_change();
DROP SEQUENCE performer_data_version;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("mycustomers", "0008_lists_sort_by_a_bounded_prefix"),
    ]

    operations = [
        migrations.AddField(
            model_name="performer",
            name="data_version",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(NOTE_CHANGES, DROP_CHANGES),
    ]
