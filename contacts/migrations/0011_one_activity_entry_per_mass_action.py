"""A mass action's history is one shared entry (no customer) plus a two-key link row per
customer it touched, without database foreign keys (issue 21, docs/performance.md)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0010_note_added_once_per_form'),
        ('mycustomers', '0017_drop_the_visible_count_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='activity',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='activities', to='mycustomers.customer'),
        ),
        migrations.CreateModel(
            name='ActivityCustomer',
            fields=[
                ('pk', models.CompositePrimaryKey('performer', 'customer', 'activity', blank=True, editable=False, primary_key=True, serialize=False)),
                ('performer', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('activity', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='links', to='contacts.activity')),
                ('customer', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mycustomers.customer')),
            ],
        ),
    ]
