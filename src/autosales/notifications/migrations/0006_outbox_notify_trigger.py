"""On PostgreSQL, a new outbox row sends `NOTIFY autosales_jobs, 'outbox.deliver'` from the inserting
transaction itself (delivered at its commit, never for a rollback), so the worker processes that LISTEN
deliver it at once without the business transaction spending a statement on the wake-up."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION autosales_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('autosales_jobs', 'outbox.deliver');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS notifications_outboxemail_notify ON notifications_outboxemail;
CREATE TRIGGER notifications_outboxemail_notify AFTER INSERT ON notifications_outboxemail
    FOR EACH STATEMENT EXECUTE FUNCTION autosales_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS notifications_outboxemail_notify ON notifications_outboxemail;
DROP FUNCTION IF EXISTS autosales_outbox_notify();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_outboxemail_rendered_at_delivery")]

    operations = [migrations.RunPython(create, drop)]
