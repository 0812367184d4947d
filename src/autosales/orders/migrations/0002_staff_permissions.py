from django.db import migrations

from autosales.customers.staff_roles import FULFILLMENT, MANAGER, SALESPERSON, group_permissions_grant


def grant(apps, schema_editor):
    group_permissions_grant(apps, group=SALESPERSON, app_label="orders", actions=["view"])
    group_permissions_grant(apps, group=FULFILLMENT, app_label="orders", actions=["view", "change"])
    group_permissions_grant(apps, group=MANAGER, app_label="orders")
    group_permissions_grant(apps, group=SALESPERSON, app_label="payments", actions=["view"], models=["payment"])
    group_permissions_grant(apps, group=MANAGER, app_label="payments", actions=["view", "change"])
    group_permissions_grant(apps, group=MANAGER, app_label="checkout", actions=["view"])
    group_permissions_grant(apps, group=MANAGER, app_label="pricing", models=["shippingmethod", "taxrate"])
    group_permissions_grant(apps, group=SALESPERSON, app_label="pricing", actions=["view"], models=["shippingmethod", "taxrate"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("customers", "0005_staff_groups"),
        ("payments", "0002_payment_token"),
        ("checkout", "0001_initial"),
        ("pricing", "0002_shippingmethod_taxrate"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
