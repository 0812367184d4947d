"""On PostgreSQL, a new outbox row sends `NOTIFY autosales_jobs, 'outbox.deliver'` from the inserting
transaction itself (delivered at its commit, never for a rollback), so the worker processes that LISTEN
deliver it at once without the business transaction spending a statement on the wake-up."""

from django.db import migrations

from autosales.jobs.wakeups import notify_trigger_operation


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_outboxemail_rendered_at_delivery")]

    operations = [
        notify_trigger_operation(
            table="notifications_outboxemail",
            trigger="notifications_outboxemail_notify",
            function="autosales_outbox_notify",
            job="outbox.deliver",
        )
    ]
