from django.db import migrations, models
from django.db.models import F


def keys_stay(apps, schema_editor):
    """Runs in flight keep their checkout key: it was made from `failures`, now from `try_number`."""
    Run = apps.get_model("recurring", "Run")
    Run.objects.filter(failures__gt=0).update(try_number=F("failures"))


class Migration(migrations.Migration):
    dependencies = [
        ("recurring", "0002_staff_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="try_number",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="run",
            name="request",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="run",
            name="retrying_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(keys_stay, migrations.RunPython.noop),
    ]
