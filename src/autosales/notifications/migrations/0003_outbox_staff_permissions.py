from django.db import migrations

from autosales.customers.staff_roles import MANAGER, group_permissions_grant


def grant(apps, schema_editor):
    # Other people's emails and the jobs that send them are for managers (and superusers): a salesperson or a
    # clerk reads only their own mail in the mailbox.
    group_permissions_grant(apps, group=MANAGER, app_label="notifications", codenames=["view_outbox"])
    group_permissions_grant(apps, group=MANAGER, app_label="notifications", actions=["view", "change"], models=["outboxemail"])
    group_permissions_grant(apps, group=MANAGER, app_label="jobs", actions=["view", "change"], models=["jobstate"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_outbox_sensitive"),
        ("jobs", "0001_initial"),
        ("customers", "0005_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
