"""Drop cust_vis_count: the visible customers are counted as fast from any sort index (each
is partial to them and leads with the performer), and each index costs every customer write
an entry (issue 21, docs/performance.md)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mycustomers", "0016_worker_beats_and_purged_customers"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="cust_vis_count"),
    ]
