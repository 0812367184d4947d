"""Outbox benchmark: emails/s delivered by the outbox job to a local SMTP server, beside raw smtplib sends.

    .venv/bin/python bench/outbox.py                      # SQLite scratch database in a temporary directory
    .venv/bin/python bench/outbox.py --emails 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/outbox.py
                                                          # PostgreSQL: a scratch database next to x, dropped after

It starts an aiosmtpd server on 127.0.0.1, queues N emails with `email_queue` (rendered templates, one
outbox row each), times `outbox_deliver_pass` sending them (claims, one SMTP connection per batch, a
status update per email), then times N raw `smtplib` sends of the same messages over one connection in
the same run, and prints both rates and their ratio. Not a test: the figures depend on the machine.
Nothing leaves 127.0.0.1.
"""

import argparse
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCRATCH_PG_NAME = "autosales_bench_outbox"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Counter:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def scratch_database() -> tuple[str | None, callable]:
    """Point DATABASE_URL at a fresh scratch database; returns a clean-up function."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        var = tempfile.mkdtemp(prefix="autosales-bench-outbox-")
        os.environ["AUTOSALES_VAR_DIR"] = var
        return None, lambda: shutil.rmtree(var, ignore_errors=True)
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_PG_NAME}"')
        conn.execute(f'CREATE DATABASE "{SCRATCH_PG_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + SCRATCH_PG_NAME))

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_PG_NAME}"')

    return SCRATCH_PG_NAME, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=500, help="emails per side (default 500)")
    args = parser.parse_args()
    if not 1 <= args.emails <= 20_000:
        parser.error("--emails: between 1 and 20000")

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    _, clean_up = scratch_database()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autosales.settings")
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        call_command("migrate", verbosity=0)
        from autosales.notifications.delivery import message_for, outbox_deliver_pass
        from autosales.notifications.models import OutboxEmail
        from autosales.notifications.services import email_queue

        print(f"database: {connection.vendor}; {args.emails} emails each way to aiosmtpd on 127.0.0.1:{port}")
        started = time.perf_counter()
        with transaction.atomic():
            for i in range(args.emails):
                email_queue(
                    to=f"bench{i}@example.com",
                    template="notifications/test",
                    context={"queued_at": "now", "transport": "bench"},
                )
        queue_seconds = time.perf_counter() - started

        started = time.perf_counter()
        sent = 0
        while True:
            result = outbox_deliver_pass()
            sent += result.items
            if result.items == 0:
                break
        outbox_seconds = time.perf_counter() - started
        assert sent == args.emails == counter.count, (sent, counter.count)

        # The same messages, straight to the server: what SMTP alone costs on this machine.
        messages = [
            message_for(email=email, connection=None).message()
            for email in OutboxEmail.objects.order_by("pk")[: args.emails]
        ]
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for message in messages:
                smtp.sendmail(message["From"], [message["To"]], message.as_bytes(linesep="\r\n"))
        raw_seconds = time.perf_counter() - started
        assert counter.count == 2 * args.emails

        outbox_rate = args.emails / outbox_seconds
        raw_rate = args.emails / raw_seconds
        print(f"queue (render + insert)  {args.emails / queue_seconds:9.0f} emails/s")
        print(f"outbox delivery          {outbox_rate:9.0f} emails/s")
        print(f"raw smtplib              {raw_rate:9.0f} emails/s")
        print(f"ratio outbox / raw       {outbox_rate / raw_rate:9.2f}")
    finally:
        controller.stop()
        clean_up()


if __name__ == "__main__":
    main()
