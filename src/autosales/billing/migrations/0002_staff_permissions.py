from django.db import migrations

from autosales.customers.staff_roles import ACCOUNTS, MANAGER, SALESPERSON, group_permissions_grant


def grant(apps, schema_editor):
    group_permissions_grant(apps, group=ACCOUNTS, app_label="billing")
    group_permissions_grant(apps, group=MANAGER, app_label="billing")
    group_permissions_grant(apps, group=SALESPERSON, app_label="billing", actions=["view"])
    # Receivables staff see the customers whose accounts they keep.
    group_permissions_grant(apps, group=ACCOUNTS, app_label="customers", actions=["view"], models=["organization"])
    group_permissions_grant(apps, group=ACCOUNTS, app_label="orders", actions=["view"], models=["order"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("customers", "0010_organization_billing_terms"),
        ("orders", "0007_invoiced_amounts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
