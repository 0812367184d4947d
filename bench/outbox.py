"""Email: outbox delivery throughput beside raw smtplib, and the time from an order's commit to its
confirmation email at the SMTP server, on the production deployment.

    .venv/bin/python bench/outbox.py                      # SQLite scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/outbox.py
    .venv/bin/python bench/outbox.py --quick              # 300 emails, 30 orders

1. Throughput: `--emails` emails are queued with `email_queue` (one outbox row each), then a separate worker
   process runs the outbox delivery passes until the outbox is empty; beside it, in the same run, the same
   messages sent with raw `smtplib` over one connection to the same server. Printed: both rates and the ratio.
2. Latency: gunicorn (as docs/deployment.md runs it) and one `autosales worker` process (its default poll),
   `--orders` API checkouts one after another; for each, the time from the checkout's answer (the order is
   committed with its email row) to the confirmation email's arrival at the SMTP server. Printed: p50, p99.

The SMTP server is aiosmtpd on 127.0.0.1. Not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import smtplib
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deployment import BIN, free_port, gunicorn, load, machine, scratch_database


class Inbox:
    """aiosmtpd handler: counts messages and notes when each recipient's message arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        with self.lock:
            self.count += 1
            for rcpt in envelope.rcpt_tos:
                self.arrived.setdefault(rcpt.lower(), now)
        return "250 OK"


def deliver_until_empty(*, profile: str = "") -> None:
    """The worker side of the throughput measurement (`--deliver`): delivery passes until nothing is left."""
    import django

    django.setup()
    from autosales.notifications.delivery import outbox_deliver_pass

    print("ready", flush=True)
    sys.stdin.readline()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.time()
    sent = 0
    while True:
        result = outbox_deliver_pass()
        sent += result.items
        if result.items == 0:
            break
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    print(json.dumps({"sent": sent, "started": started, "ended": time.time()}), flush=True)


def throughput(*, emails: int, inbox: Inbox, port: int, profile: str = "") -> dict:
    from django.db import transaction

    from autosales.notifications.delivery import message_for
    from autosales.notifications.models import OutboxEmail
    from autosales.notifications.services import email_queue

    started = time.perf_counter()
    with transaction.atomic():
        for i in range(emails):
            email_queue(
                to=f"bench{i}@example.com",
                template="notifications/test",
                context={"queued_at": "now", "transport": "bench"},
            )
    queue_rate = emails / (time.perf_counter() - started)
    worker = subprocess.Popen(
        [sys.executable, __file__, "--deliver", *(["--profile", profile] if profile else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if worker.stdout.readline().strip() != "ready":
        raise RuntimeError("the delivery process did not start")
    before = inbox.count
    worker.stdin.write("go\n")
    worker.stdin.flush()
    out, _ = worker.communicate(timeout=600)
    report = json.loads(out.strip().splitlines()[-1])
    outbox_rate = report["sent"] / (report["ended"] - report["started"])
    if inbox.count - before != emails:
        raise RuntimeError(f"the SMTP server received {inbox.count - before} of {emails} emails")
    messages = [message_for(email=email, connection=None).message() for email in OutboxEmail.objects.order_by("pk")]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages[:emails]:
            smtp.sendmail(message["From"], [message["To"]], message.as_bytes(linesep="\r\n"))
    raw_rate = emails / (time.perf_counter() - started)
    return {"queue_per_s": queue_rate, "outbox_per_s": outbox_rate, "raw_per_s": raw_rate}


def latency(*, scratch, orders: int, inbox: Inbox) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from checkout import checkout_body, set_up

    fixture = set_up(run=uuid.uuid4().hex[:10], products=5, buyers=orders)
    with inbox.lock:
        inbox.arrived.clear()  # the throughput part wrote to the same addresses
    worker = subprocess.Popen(
        [str(BIN / "autosales"), "worker"],
        env=scratch.env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    waits = []
    try:
        with gunicorn(scratch) as url:
            time.sleep(2)  # the worker's first pass over the schedule
            for n in range(orders):
                buyer = fixture.buyers[n]
                request = {
                    "method": "POST",
                    "path": "/api/v1/checkout",
                    "headers": {"Authorization": f"Bearer {buyer.token}", "Idempotency-Key": "{uuid}"},
                    "body": checkout_body(fixture, buyer, fixture.skus[0]),
                }
                result = load(url=url, requests=[request], clients=1, count=1)
                answered = time.time()
                if result.ok != 1:
                    raise RuntimeError(f"checkout failed: {result.first_error}")
                address = buyer.user.email.lower()
                deadline = answered + 120
                while address not in inbox.arrived and time.time() < deadline:
                    time.sleep(0.01)
                if address not in inbox.arrived:
                    raise RuntimeError(f"no confirmation email for {address} within 120 s")
                waits.append(max(0.0, inbox.arrived[address] - answered))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    waits.sort()
    return {
        "orders": orders,
        "p50_s": statistics.median(waits),
        "p99_s": waits[min(len(waits) - 1, round(0.99 * (len(waits) - 1)))],
        "max_s": waits[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1000, help="emails for the throughput part (default 1000)")
    parser.add_argument("--orders", type=int, default=60, help="orders for the latency part (default 60)")
    parser.add_argument("--quick", action="store_true", help="300 emails, 30 orders")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", help="write a cProfile of the delivery process to this file")
    parser.add_argument("--deliver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.deliver:
        deliver_until_empty(profile=args.profile or "")
        return
    if args.quick:
        args.emails, args.orders = 300, 30
    if not 1 <= args.emails <= 20_000 or not 1 <= args.orders <= 1000:
        parser.error("--emails: 1 to 20000; --orders: 1 to 1000")

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with scratch_database("outbox", EMAIL_URL=f"smtp://127.0.0.1:{port}") as scratch:
            print(f"machine: {machine()}; database: {scratch.vendor}; SMTP: aiosmtpd on 127.0.0.1:{port}")
            rates = throughput(emails=args.emails, inbox=inbox, port=port, profile=args.profile or "")
            print(f"queue (render + insert)      {rates['queue_per_s']:9.0f} emails/s")
            print(f"outbox delivery (1 process)  {rates['outbox_per_s']:9.0f} emails/s")
            print(f"raw smtplib, one connection  {rates['raw_per_s']:9.0f} emails/s")
            print(f"ratio outbox / raw           {rates['outbox_per_s'] / rates['raw_per_s']:9.2f}")
            waits = latency(scratch=scratch, orders=args.orders, inbox=inbox)
            print(
                f"order answered -> confirmation at the SMTP server ({waits['orders']} orders, one worker process): "
                f"p50 {waits['p50_s']:.2f} s, p99 {waits['p99_s']:.2f} s, max {waits['max_s']:.2f} s"
            )
    finally:
        controller.stop()
    if args.json:
        Path(args.json).write_text(json.dumps({**rates, **waits}, indent=2))


if __name__ == "__main__":
    main()
