"""Staff roles are Django groups; apps grant their model permissions to them from their own migrations.

A later app's migration gives, say, the fulfillment group its permissions like this:

    from autosales.customers.staff_roles import FULFILLMENT, MANAGER, group_permissions_grant

    def grant(apps, schema_editor):
        group_permissions_grant(apps, group=MANAGER, app_label="orders")  # every permission of the app
        group_permissions_grant(apps, group=FULFILLMENT, app_label="fulfillment", actions=["view", "change"])
        group_permissions_grant(apps, group=MANAGER, app_label="notifications", codenames=["view_outbox"])  # custom

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
"""

from collections.abc import Iterable

SALESPERSON = "salesperson"
FULFILLMENT = "fulfillment"
MANAGER = "manager"
# Receivables: invoices, credit notes, payments received, statements (granted by billing's migrations).
ACCOUNTS = "accounts"
STAFF_GROUPS = (SALESPERSON, FULFILLMENT, MANAGER, ACCOUNTS)

ALL_ACTIONS = ("add", "change", "delete", "view")


def permissions_ensure(apps, app_label: str) -> None:
    """Content types and default permissions exist for every model of `app_label` the migration state knows.

    Django creates them after `migrate` finishes; a data migration that grants them needs them sooner (only the
    granted app's: doing every app's for each grant made a new database's migrations seconds slower).
    """
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def group_permissions_grant(
    apps,
    *,
    group: str,
    app_label: str,
    actions: Iterable[str] = ALL_ACTIONS,
    models: Iterable[str] | None = None,
    codenames: Iterable[str] | None = None,
) -> None:
    """`group` exists and holds the `actions` permissions on `models` (all of the app's models when None), or,
    when `codenames` is given, exactly those permissions of the app (custom ones such as `view_outbox`)."""
    permissions_ensure(apps, app_label)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group_row, _ = Group.objects.get_or_create(name=group)
    model_names = (
        [m.lower() for m in models]
        if models is not None
        else [m._meta.model_name for m in apps.get_app_config(app_label).get_models()]
    )
    if codenames is None:
        codenames = [f"{action}_{model}" for action in actions for model in model_names]
    permissions = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    group_row.permissions.add(*permissions)
