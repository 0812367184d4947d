"""Email: outbox delivery throughput beside raw smtplib, and the time from an order's commit to its
confirmation email at the SMTP server, on the production deployment.

    .venv/bin/python bench/outbox.py                      # SQLite scratch database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/outbox.py
    .venv/bin/python bench/outbox.py --quick              # 3 rounds of 1000 emails, 30 orders

1. Throughput: in each of `--rounds` rounds, `--emails` emails are queued with `email_queue` (one outbox row
   each, rendered at delivery), then a separate process, set up as `autosales worker` sets up its processes, runs
   the delivery job (`outbox.deliver`, what a worker runs) until the outbox is empty; then another separate
   process sends the same messages (the rows' wire bytes, made before its clock starts) with raw `smtplib` over
   one connection to the same server: the SMTP exchange alone. The outbox side's CPU time includes its SMTP
   process's (`notifications.smtp_process`, which holds the worker's connection). Both processes
   first do one warm-up round that is not counted (connections, templates, first queries). Printed: the median
   rates over the rounds, the ratio of the medians with the lowest and highest round's ratio, and each side's
   CPU time per email in its own process.
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

from deployment import BIN, cpu_seconds, free_port, gunicorn, load, machine, scratch_database


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


def _smtp_process_cpu() -> float:
    """CPU seconds used so far by this worker's SMTP process (`notifications.smtp_process`; Linux's /proc)."""
    from autosales.notifications import delivery

    smtp = getattr(delivery._local, "smtp", None)
    if smtp is None:
        return 0.0
    return cpu_seconds([smtp.pid])


def deliver_rounds(*, profile: str = "") -> None:
    """The outbox side (`--deliver`), a separate process set up like a worker's: each `go` runs the delivery job
    until the outbox is empty and answers with the emails sent, the wall time and the CPU time of this process
    and of its SMTP process."""
    import django

    django.setup()
    from autosales.jobs.runner import worker_process_tune
    from autosales.notifications.delivery import outbox_deliver

    worker_process_tune()  # as `autosales worker` sets its processes up

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        if profiler is not None:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time() + _smtp_process_cpu()
        sent = 0
        while True:
            result = outbox_deliver()
            sent += result.items
            if result.items == 0:
                break
        seconds, cpu = time.perf_counter() - started, time.process_time() + _smtp_process_cpu() - cpu
        if profiler is not None:
            profiler.disable()
        print(json.dumps({"sent": sent, "seconds": seconds, "cpu": cpu}), flush=True)
    if profiler is not None:
        profiler.dump_stats(profile)


def send_rounds(*, port: int) -> None:
    """The raw side (`--raw`), a separate process too: `load A B` makes the wire bytes of outbox rows A..B (the
    messages the outbox sent, rendered; not timed), `go` sends them with smtplib over one connection kept open
    across rounds, and answers like the outbox side."""
    import django

    django.setup()
    from autosales.notifications.delivery import wire_for
    from autosales.notifications.models import OutboxEmail

    smtp = smtplib.SMTP("127.0.0.1", port)
    wires = []
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "load":
            first, last = int(args[0]), int(args[1])
            wires = [wire_for(email) for email in OutboxEmail.objects.filter(pk__range=(first, last)).order_by("pk")]
            print("loaded", flush=True)
        elif command == "go":
            started, cpu = time.perf_counter(), time.process_time()
            for wire in wires:
                smtp.sendmail(wire.sender, wire.recipients, wire.data)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(json.dumps({"sent": len(wires), "seconds": seconds, "cpu": cpu}), flush=True)
        else:
            break
    smtp.quit()


class _Side:
    """One side's process, driven line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.expect("ready")

    def ask(self, line: str) -> str:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def expect(self, answer: str) -> None:
        got = self.process.stdout.readline().strip()
        if got != answer:
            raise RuntimeError(f"expected {answer!r} from {self.process.args[2:]}, got {got!r}")

    def run(self, *, inbox: Inbox, emails: int) -> dict:
        before = inbox.count
        report = json.loads(self.ask("go"))
        if report["sent"] != emails or inbox.count - before != emails:
            raise RuntimeError(f"{self.process.args[2:]}: {report['sent']} sent, {inbox.count - before} received")
        return report

    def close(self) -> None:
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=60)


def throughput(*, emails: int, rounds: int, inbox: Inbox, port: int, profile: str = "") -> dict:
    """Rounds of `emails` emails, the outbox then raw smtplib with the same messages, after one warm-up round on
    each side (connections, templates, first queries): each side runs in its own process, so the SMTP server has
    this process to itself on both sides. Rates are medians over the rounds."""
    from django.db import transaction

    from autosales.notifications.models import OutboxEmail
    from autosales.notifications.services import email_queue

    def queue(count: int) -> tuple[int, int, float]:
        started = time.perf_counter()
        with transaction.atomic():
            pks = [
                email_queue(
                    to=f"bench{i}@example.com",
                    template="notifications/test",
                    context={"queued_at": "now", "transport": "bench"},
                ).pk
                for i in range(count)
            ]
        return pks[0], pks[-1], time.perf_counter() - started

    outbox = _Side("--deliver", *(["--profile", profile] if profile else []))
    raw = _Side("--raw", str(port))
    figures = {"outbox": [], "raw": [], "queue": [], "outbox_cpu": [], "raw_cpu": []}
    try:
        for n in range(rounds + 1):
            count = emails if n else min(emails, 100)  # round 0 warms both sides up and is not counted
            first, last, queued = queue(count)
            done = outbox.run(inbox=inbox, emails=count)
            if raw.ask(f"load {first} {last}") != "loaded":
                raise RuntimeError("the raw side could not load the messages")
            sent = raw.run(inbox=inbox, emails=count)
            if n:
                figures["queue"].append(count / queued)
                figures["outbox"].append(count / done["seconds"])
                figures["raw"].append(count / sent["seconds"])
                figures["outbox_cpu"].append(done["cpu"] / count)
                figures["raw_cpu"].append(sent["cpu"] / count)
    finally:
        outbox.close()
        raw.close()
    if OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists():
        raise RuntimeError("emails left unsent in the outbox")
    ratios = [o / r for o, r in zip(figures["outbox"], figures["raw"], strict=True)]
    return {
        "emails": emails,
        "rounds": rounds,
        "queue_per_s": statistics.median(figures["queue"]),
        "outbox_per_s": statistics.median(figures["outbox"]),
        "raw_per_s": statistics.median(figures["raw"]),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "outbox_cpu_ms": 1000 * statistics.median(figures["outbox_cpu"]),
        "raw_cpu_ms": 1000 * statistics.median(figures["raw_cpu"]),
    }


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
    parser.add_argument(
        "--emails", type=int, help="emails per round of the throughput part (default 2000; --quick 1000)"
    )
    parser.add_argument("--rounds", type=int, help="rounds of the throughput part (default 5; --quick 3)")
    parser.add_argument("--orders", type=int, help="orders for the latency part (default 60; --quick 30)")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 1000 emails, 30 orders")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", help="write a cProfile of the delivery process to this file")
    parser.add_argument("--deliver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--raw", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.deliver:
        deliver_rounds(profile=args.profile or "")
        return
    if args.raw:
        send_rounds(port=args.raw)
        return
    quick = {"emails": 1000, "rounds": 3, "orders": 30} if args.quick else {"emails": 2000, "rounds": 5, "orders": 60}
    for name, value in quick.items():
        if getattr(args, name) is None:  # a figure given on the command line wins over --quick's
            setattr(args, name, value)
    if not 1 <= args.emails <= 20_000 or not 1 <= args.rounds <= 20 or not 1 <= args.orders <= 1000:
        parser.error("--emails: 1 to 20000; --rounds: 1 to 20; --orders: 1 to 1000")

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with scratch_database("outbox", EMAIL_URL=f"smtp://127.0.0.1:{port}") as scratch:
            print(f"machine: {machine()}; database: {scratch.vendor}; SMTP: aiosmtpd on 127.0.0.1:{port}")
            rates = throughput(
                emails=args.emails, rounds=args.rounds, inbox=inbox, port=port, profile=args.profile or ""
            )
            print(
                f"{rates['rounds']} rounds of {rates['emails']} emails each side (medians; one warm-up round not counted)"
            )
            print(f"queue (insert a row)         {rates['queue_per_s']:9.0f} emails/s")
            print(
                f"outbox delivery (1 process)  {rates['outbox_per_s']:9.0f} emails/s"
                f"   CPU {rates['outbox_cpu_ms']:.3f} ms/email (render, wire bytes, SQL; SMTP client in its process)"
            )
            print(
                f"raw smtplib, one connection  {rates['raw_per_s']:9.0f} emails/s"
                f"   CPU {rates['raw_cpu_ms']:.3f} ms/email (same bytes, made beforehand)"
            )
            print(
                f"ratio outbox / raw           {rates['outbox_per_s'] / rates['raw_per_s']:9.2f}"
                f"   rounds {rates['ratio_min']:.2f} to {rates['ratio_max']:.2f}"
            )
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
