from django.db import migrations, models


def delivery_days_to_transit(apps, schema_editor):
    """The one "typical days in transit" becomes the window: that many working days, at least and at most."""
    ShippingMethod = apps.get_model("pricing", "ShippingMethod")
    for method in ShippingMethod.objects.exclude(delivery_days__isnull=True):
        ShippingMethod.objects.filter(pk=method.pk).update(
            transit_days_min=method.delivery_days, transit_days_max=method.delivery_days
        )


def transit_to_delivery_days(apps, schema_editor):
    ShippingMethod = apps.get_model("pricing", "ShippingMethod")
    ShippingMethod.objects.update(delivery_days=models.F("transit_days_max"))


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0003_money_three_decimals"),
    ]

    operations = [
        migrations.AddField(
            model_name="shippingmethod",
            name="transit_days_max",
            field=models.PositiveSmallIntegerField(default=5, help_text="Most working days in transit"),
        ),
        migrations.AddField(
            model_name="shippingmethod",
            name="transit_days_min",
            field=models.PositiveSmallIntegerField(default=1, help_text="Fewest working days in transit"),
        ),
        migrations.RunPython(delivery_days_to_transit, transit_to_delivery_days),
        migrations.RemoveField(
            model_name="shippingmethod",
            name="delivery_days",
        ),
        migrations.AddConstraint(
            model_name="shippingmethod",
            constraint=models.CheckConstraint(
                condition=models.Q(("transit_days_min__lte", models.F("transit_days_max"))),
                name="shipping_transit_min_le_max",
            ),
        ),
    ]
