"""`autosales worker --processes N`: N worker processes that share the jobs, stopped together."""

import signal
import subprocess
import time
from pathlib import Path

import pytest

from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue
from tests.jobs.conftest import BIN

pytestmark = pytest.mark.django_db(transaction=True)


def children_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def test_worker_processes_runs_that_many_workers_that_deliver_and_stop_together(child_env):
    # given emails waiting and the demo's mailbox transport
    child_env["EMAIL_URL"] = "mailbox://"
    for n in range(20):
        email_queue(to=f"p{n}@example.com", template="notifications/test", context={"queued_at": "now"})
    # when a worker is started with two processes
    process = subprocess.Popen(
        [str(BIN / "autosales"), "worker", "--processes", "2", "--poll", "0.2"],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(children_of(process.pid)) < 2:
            assert time.monotonic() < deadline, "the worker processes did not start"
            time.sleep(0.1)
        # then two worker processes run under it, and they deliver the emails
        assert len(children_of(process.pid)) == 2
        children = children_of(process.pid)
        while OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() < 20:
            assert time.monotonic() < deadline, "the emails were not delivered"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=90)[0]
    # and stopping it stops them all
    assert process.returncode == 0, output
    assert "in 2 processes" in output
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)


def test_worker_processes_must_be_at_least_one():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--processes"):
        call_command("worker", "--processes", "0")
