from datetime import timedelta

from autosales.core import clock
from autosales.crm import rules  # noqa: F401  (registers the follow-up rules' pass)
from autosales.crm.automation import automation_actions_since, automation_run, automation_work_due
from autosales.crm.digest import digests_send
from autosales.crm.prediction import passes as reorder_passes  # noqa: F401 (registers the reorder rules' passes)
from autosales.crm.reminders import reminders_send
from autosales.crm.store_visits import store_visits_close
from autosales.crm.timeline import timeline_sync
from autosales.jobs.registry import JobResult, job


@job("crm.timeline_sync", every=timedelta(minutes=1))
def sync_timeline() -> JobResult:
    """Adds orders, shipments, invoices, payments, reminders and credit holds, standing-order changes and failed
    runs, and the emails the shop sent, to the customers' timelines."""
    return JobResult(items=timeline_sync())


@job("crm.reminders", every=timedelta(minutes=1))
def send_reminders() -> JobResult:
    """Reminds salespeople of their tasks ahead of time, by email and in the back office, each reminder once."""
    return JobResult(items=reminders_send())


@job("crm.digest", every=timedelta(minutes=15))
def send_digests() -> JobResult:
    """Emails each salesperson their day at the local hour they chose: tasks, their customers' orders, failed runs."""
    return JobResult(items=digests_send())


@job("crm.store_visits", every=timedelta(minutes=5))
def close_store_visits() -> JobResult:
    """Sums up each store visit of a customer's people, idle for 30 minutes, as one entry on their timeline."""
    return JobResult(items=store_visits_close())


@job("crm.automation", every=timedelta(minutes=15), work_due=automation_work_due)
def run_automation() -> JobResult:
    """The automation rules: tasks (or emails) for reorders due, follow-ups and the other built-in rules, each
    once per event."""
    started = clock.now()
    items = automation_run(now=started)
    return JobResult(items=items, events=tuple(automation_actions_since(started)) if items else ())
