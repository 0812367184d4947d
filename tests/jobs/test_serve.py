"""`autosales serve` as a person runs it: a real process, real HTTP, Ctrl-C to stop."""

import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from autosales.jobs.models import JobState
from tests.jobs.conftest import BIN

pytestmark = pytest.mark.django_db(transaction=True)


def start_serve(env, *args):
    process = subprocess.Popen(
        [str(BIN / "autosales"), "serve", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        found = re.search(r"Serving on (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return process, found.group(1), lines
    process.wait(30)
    pytest.fail("serve did not start:\n" + "".join(lines))


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_answers_serves_static_files_runs_jobs_and_stops_on_ctrl_c(child_env):
    child_env["EMAIL_URL"] = "mailbox://"
    process, base, lines = start_serve(child_env)
    try:
        # the pages and the static files (whitenoise) answer
        status, body = get(base + "static/backoffice/backoffice.css")
        assert status == 200 and b".backoffice-nav" in body
        status, body = get(base + "favicon.ico")  # redirected to the store's icon
        assert status == 200 and body.startswith(b"<svg")
        assert get(base + "backoffice/jobs/")[0] == 200  # redirected to the sign-in page
        # the in-process runner ran the outbox job
        deadline = time.monotonic() + 60
        while not JobState.objects.filter(name="outbox.deliver", runs__gte=1).exists():
            assert time.monotonic() < deadline, "the job runner did not run"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=60)[0]
    assert process.returncode == 0, "".join(lines) + rest
    assert "jobs: running in this process" in "".join(lines)
    assert "Stopped." in rest


def test_serve_without_jobs_does_not_start_the_runner(child_env):
    process, base, lines = start_serve(child_env, "--no-jobs")
    try:
        assert get(base)[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    assert process.returncode == 0
    assert "jobs: off (--no-jobs)" in "".join(lines)
    assert not JobState.objects.exists()


@pytest.mark.django_db(transaction=False)
def test_serve_on_an_empty_database_says_to_migrate_once_and_exits(child_env, tmp_path):
    # given a database file that has never been migrated
    child_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    # when the store is served from it
    result = subprocess.run(
        [str(BIN / "autosales"), "serve", "--port", "0"],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it stops at once with one line that says what to run, and no traceback
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    told = [line for line in result.stderr.splitlines() if "autosales migrate" in line]
    assert len(told) == 1 and "not set up" in told[0]
    assert "Serving on" not in result.stdout
