"""On PostgreSQL, a new shipment wakes `billing.issue_invoices` (NOTIFY from the shipping transaction, delivered at
its commit), so its invoice is issued at once rather than at the job's next poll, without fulfillment knowing
of billing."""

from django.db import migrations

from autosales.jobs.wakeups import notify_trigger_operation


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_staff_permissions"), ("fulfillment", "0001_initial")]

    operations = [
        notify_trigger_operation(
            table="fulfillment_shipment",
            trigger="billing_shipment_notify",
            function="autosales_billing_notify",
            job="billing.issue_invoices",
        )
    ]
