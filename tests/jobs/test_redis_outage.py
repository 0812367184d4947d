"""Redis stops while the shop runs: checkouts answer in their normal time, and the confirmation emails still go.

Real processes as docs/deployment.md runs them (a web process and a Celery worker, no beat), a real Redis of
this test's own on a free port (the shared one on 6379 is left alone), stopped and started again, and a real
SMTP server. The delivery job's own interval is an hour, so an email that arrives was found through a wake-up or
the database's schedule, not through the job's interval.
"""

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from autosales.customers.tokens import token_create
from autosales.jobs.models import JobState
from tests.factories import make_checkout
from tests.jobs.conftest import BIN
from tests.jobs.test_serve import start_serve
from tests.smtp import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class PrivateRedis:
    """A redis-server of this test's own, on loopback, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None


def checkout(base: str, buyer) -> tuple[int, float]:
    body = {
        "lines": [{"sku": buyer.variant.sku, "quantity": 1}],
        "shipping_address": {"id": buyer.address.public_id},
        "shipping_method": buyer.shipping_method.code,
        "payment": {"kind": "card", "token": "tok_approve"},
    }
    request = urllib.request.Request(
        base + "api/v1/checkout",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {buyer.token}",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def test_with_redis_stopped_checkouts_answer_at_once_and_the_emails_go_out(child_env, smtp_server, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (apt-get install redis-server)")
    redis = PrivateRedis()
    redis.start()
    buyers = []
    for _ in range(3):
        buyer = make_checkout(stock=100)
        buyer.token = token_create(user=buyer.user)
        buyers.append(buyer)
    child_env.update(
        REDIS_URL=redis.url,
        CELERY_QUEUE=f"autosales-test-{uuid.uuid4().hex[:8]}",
        EMAIL_URL=smtp_server.url,
        OUTBOX_DELIVERY_SECONDS="3600",
        JOBS_POLL_SECONDS="1",
    )
    log = tmp_path / "celery.log"
    web = worker = None
    try:
        with log.open("w") as out:
            worker = subprocess.Popen(
                [
                    *(str(BIN / "celery"), "-A", "autosales.jobs", "worker", "--pool=solo"),
                    *("--without-mingle", "--without-gossip", "-Q", child_env["CELERY_QUEUE"]),
                    *("-n", f"outage-{uuid.uuid4().hex[:6]}@%h"),
                ],
                env=child_env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        # The web process runs no jobs: REDIS_URL is set, so Celery workers run them.
        web, base, _ = start_serve(child_env)
        deadline = time.monotonic() + 90
        while not JobState.objects.filter(name="outbox.deliver", runs__gte=1).exists():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)

        # given a checkout with Redis up: its confirmation arrives
        status, normal = checkout(base, buyers[0])
        assert status == 201
        assert len(smtp_server.wait_for(1, timeout=60)) == 1, log.read_text()

        # when Redis stops
        redis.stop()
        status, during_outage = checkout(base, buyers[1])
        # then the checkout answers in its normal time (a wait on Redis would add its 2 s connection timeout)
        assert status == 201
        assert during_outage < normal + 1.5, (normal, during_outage)
        # and its confirmation still goes out, found by the worker's own look at the database
        assert len(smtp_server.wait_for(2, timeout=60)) == 2, log.read_text()

        # when Redis comes back, the wake-ups go through it again
        redis.start()
        status, _ = checkout(base, buyers[2])
        assert status == 201
        assert len(smtp_server.wait_for(3, timeout=60)) == 3, log.read_text()
    finally:
        for process in (web, worker):
            if process is not None:
                process.terminate()
                process.wait(60)
        redis.stop()
    recipients = sorted(rcpt for rcpts in smtp_server.envelope_recipients() for rcpt in rcpts)
    assert recipients == sorted(buyer.user.email for buyer in buyers)
