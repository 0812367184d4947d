from django.db import migrations

from autosales.customers.staff_roles import MANAGER, SALESPERSON, group_permissions_grant

WORKED = ["profile", "contact", "activity", "task"]


def grant(apps, schema_editor):
    # Salespeople work the CRM of their own and shared accounts (the scope is crm.permissions'); managers all of
    # it, and the shared lists (tags) and everyone's settings. Fulfillment gets nothing: it sees no CRM data.
    group_permissions_grant(apps, group=SALESPERSON, app_label="crm", models=WORKED)
    group_permissions_grant(apps, group=SALESPERSON, app_label="crm", actions=["view", "add"], models=["tag"])
    group_permissions_grant(apps, group=MANAGER, app_label="crm")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("customers", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
