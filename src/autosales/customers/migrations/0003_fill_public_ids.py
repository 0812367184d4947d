from django.db import migrations

from autosales.core import ids


def fill_public_ids(apps, schema_editor):
    for model_name in ("Membership", "Invitation"):
        model = apps.get_model("customers", model_name)
        for row in model.objects.filter(public_id__isnull=True).only("id"):
            row.public_id = ids.public_id()
            row.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_public_ids_current_organization"),
    ]

    operations = [
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
    ]
