import autosales.core.ids
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_fill_public_ids"),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="public_id",
            field=models.CharField(default=autosales.core.ids.public_id, editable=False, max_length=32, unique=True),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="public_id",
            field=models.CharField(default=autosales.core.ids.public_id, editable=False, max_length=32, unique=True),
        ),
    ]
