"""On PostgreSQL, a new shipment wakes `billing.issue_invoices` (NOTIFY from the shipping transaction, delivered at
its commit), so its invoice is issued at once rather than at the job's next poll, without fulfillment knowing
of billing."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION autosales_billing_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('autosales_jobs', 'billing.issue_invoices');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS billing_shipment_notify ON fulfillment_shipment;
CREATE TRIGGER billing_shipment_notify AFTER INSERT ON fulfillment_shipment
    FOR EACH STATEMENT EXECUTE FUNCTION autosales_billing_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS billing_shipment_notify ON fulfillment_shipment;
DROP FUNCTION IF EXISTS autosales_billing_notify();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_staff_permissions"), ("fulfillment", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
