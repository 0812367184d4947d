from django.db import migrations

from autosales.customers.staff_roles import FULFILLMENT, MANAGER, SALESPERSON, group_permissions_grant


def create_staff_groups(apps, schema_editor):
    # Salespeople see customers and the catalog, and change the organizations they own
    # (the "own" part is checked per object in customers.permissions).
    group_permissions_grant(
        apps,
        group=SALESPERSON,
        app_label="customers",
        actions=["view"],
        models=["organization", "membership", "address", "invitation", "user"],
    )
    for app_label in ("catalog", "pricing"):
        group_permissions_grant(apps, group=SALESPERSON, app_label=app_label, actions=["view"])
    group_permissions_grant(apps, group=SALESPERSON, app_label="customers", actions=["change"], models=["organization"])
    group_permissions_grant(apps, group=SALESPERSON, app_label="inventory", actions=["view"])

    # Fulfillment clerks look products up and keep stock levels right.
    group_permissions_grant(apps, group=FULFILLMENT, app_label="catalog", actions=["view"])
    group_permissions_grant(apps, group=FULFILLMENT, app_label="inventory", actions=["view"])
    group_permissions_grant(apps, group=FULFILLMENT, app_label="inventory", actions=["change"], models=["stocklevel"])

    # Managers run the catalog, prices, stock and customer accounts.
    for app_label in ("catalog", "pricing", "inventory", "customers"):
        group_permissions_grant(apps, group=MANAGER, app_label=app_label)


def remove_staff_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[SALESPERSON, FULFILLMENT, MANAGER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0004_public_ids_unique"),
        ("catalog", "0001_initial"),
        ("pricing", "0001_initial"),
        ("inventory", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_staff_groups, remove_staff_groups),
    ]
