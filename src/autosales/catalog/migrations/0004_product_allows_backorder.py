# A product may allow backorders (docs/buying.md). Adding the column rebuilds catalog_product on SQLite, which
# drops the full-text index's triggers: they are installed again after it (see catalog/search.py).

from django.db import migrations, models

from autosales.catalog import search


def search_triggers_reinstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        search.sqlite_index_install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_product_search_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="allows_backorder",
            field=models.BooleanField(
                default=False,
                help_text="Customers may order more than is in stock: what is there ships now, the rest when it arrives",
                verbose_name="may be backordered",
            ),
        ),
        migrations.RunPython(search_triggers_reinstall, migrations.RunPython.noop, elidable=False),
    ]
