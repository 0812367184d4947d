from django.db import migrations

from autosales.customers.staff_roles import FULFILLMENT, MANAGER, group_permissions_grant


def grant(apps, schema_editor):
    # The fulfillment clerk ships, marks delivered and receives stock; managers may do all of it too and
    # assign clerks to their centers. Nobody deletes a shipment or a receipt: they are the stock's history.
    group_permissions_grant(
        apps,
        group=FULFILLMENT,
        app_label="fulfillment",
        actions=["view", "change", "add"],
        models=["shipment", "shipmentline", "stockreceipt", "stockreceiptline"],
    )
    group_permissions_grant(apps, group=FULFILLMENT, app_label="fulfillment", actions=["view"], models=["centerassignment"])
    group_permissions_grant(apps, group=MANAGER, app_label="fulfillment", actions=["view", "change", "add"])
    group_permissions_grant(apps, group=MANAGER, app_label="fulfillment", models=["centerassignment"])


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0001_initial"),
        ("customers", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
