from django.db import migrations

from autosales.customers.staff_roles import FULFILLMENT, MANAGER, SALESPERSON, group_permissions_grant


def grant(apps, schema_editor):
    # Salespeople and managers work standing orders on a customer's behalf (skip, pause, change, cancel);
    # fulfillment sees them and the demand forecast to plan stock.
    for group in (SALESPERSON, MANAGER):
        group_permissions_grant(
            apps, group=group, app_label="recurring", actions=["view", "change"], models=["standingorder"]
        )
        group_permissions_grant(
            apps, group=group, app_label="recurring", actions=["view"], models=["standingorderline", "run", "change"]
        )
    group_permissions_grant(
        apps,
        group=FULFILLMENT,
        app_label="recurring",
        actions=["view"],
        models=["standingorder", "standingorderline", "run"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recurring", "0001_initial"),
        ("customers", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
