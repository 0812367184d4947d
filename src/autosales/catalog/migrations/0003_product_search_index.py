# Full-text search over products: a GIN index on a weighted tsvector on PostgreSQL, an FTS5
# external-content table kept in sync by triggers on SQLite (see autosales/catalog/search.py).

from django.db import migrations

from autosales.catalog import search


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_product_is_featured"),
    ]

    operations = [
        migrations.RunPython(search.search_index_install, search.search_index_remove, elidable=False),
    ]
