import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# Creating, renaming, re-ruling or deleting a smart list changes the main view's Display list
# choices and counts (cached by data version): the same triggers as for custom lists (0004).
TABLE = "lists_smartlist"


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0004_list_changes_bump_data_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SmartList",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=60)),
                ("rules", models.CharField(max_length=2000)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "performer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="smart_lists",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": [django.db.models.functions.text.Lower("name")],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("performer"),
                        django.db.models.functions.text.Lower("name"),
                        name="smartlist_unique_name_ci",
                    )
                ],
            },
        ),
        migrations.RunSQL(
            f"""
CREATE TRIGGER {TABLE}_inserted AFTER INSERT ON {TABLE}
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER {TABLE}_deleted AFTER DELETE ON {TABLE}
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
CREATE TRIGGER {TABLE}_updated AFTER UPDATE ON {TABLE}
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION note_data_change();
""",
            "".join(f"DROP TRIGGER {TABLE}_{e} ON {TABLE};\n" for e in ("updated", "deleted", "inserted")),
        ),
    ]
