"""The missed-call partial index (the summary strip's figure and the missed=1 count from the
index alone), and a fill factor of 90 on the customer table: room in each page for new row
versions, so that an update that changes no indexed column (a follow-up status, the
insights that are in no index) is HOT, writing no index entry. Pages written from now on
keep the room; existing ones get it as they are rewritten (VACUUM FULL, a restore, a new
seed). Measured in docs/performance.md, "Writes (helper)"."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mycustomers", "0017_drop_the_visible_count_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("has_missed_call", True), ("status", "active")),
                fields=["performer"],
                name="cust_vis_missed",
            ),
        ),
        migrations.RunSQL(
            "ALTER TABLE mycustomers_customer SET (fillfactor = 90)",
            "ALTER TABLE mycustomers_customer RESET (fillfactor)",
        ),
    ]
