from django.db import migrations


class Migration(migrations.Migration):
    """Delivery dates and fulfillment's backorders were added to orders side by side: one history again."""

    dependencies = [
        ("orders", "0004_delivery_dates"),
        ("orders", "0004_line_backorders_fulfillment_events"),
    ]

    operations = []
