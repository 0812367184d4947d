"""The NOTIFY triggers the migrations add on PostgreSQL (one helper writes them): a new outbox email wakes
`outbox.deliver`, a new shipment wakes `billing.issue_invoices`, each once per inserting statement."""

import pytest
from django.db import connection

from autosales.jobs.wakeups import notify_trigger_sql
from tests.suite_runs import ON_POSTGRES, once

TRIGGERS = {
    "notifications_outboxemail_notify": ("notifications_outboxemail", "autosales_outbox_notify", "outbox.deliver"),
    "billing_shipment_notify": ("fulfillment_shipment", "autosales_billing_notify", "billing.issue_invoices"),
}


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRES, reason="triggers with NOTIFY are PostgreSQL's")
def test_the_migrated_database_has_each_trigger_calling_its_job():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT t.tgname, c.relname, p.proname, p.prosrc, t.tgtype
               FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE t.tgname = ANY(%s)""",
            [list(TRIGGERS)],
        )
        found = {name: (table, function, source, kind) for name, table, function, source, kind in cursor.fetchall()}
    assert set(found) == set(TRIGGERS)
    for name, (table, function, job) in TRIGGERS.items():
        got_table, got_function, source, kind = found[name]
        assert (got_table, got_function) == (table, function)
        assert f"pg_notify('autosales_jobs', '{job}')" in source
        assert kind == 4  # AFTER (no BEFORE bit), FOR EACH STATEMENT (no ROW bit), INSERT (4)


@once
def test_the_sql_names_the_table_trigger_function_and_job():
    create, drop = notify_trigger_sql(table="t_x", trigger="t_x_notify", function="f_x", job="app.job")
    assert "CREATE OR REPLACE FUNCTION f_x() RETURNS trigger" in create
    assert "PERFORM pg_notify('autosales_jobs', 'app.job');" in create
    assert "CREATE TRIGGER t_x_notify AFTER INSERT ON t_x\n    FOR EACH STATEMENT EXECUTE FUNCTION f_x();" in create
    assert " ".join(drop.split()) == "DROP TRIGGER IF EXISTS t_x_notify ON t_x; DROP FUNCTION IF EXISTS f_x();"
