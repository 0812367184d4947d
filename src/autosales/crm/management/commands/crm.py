"""`autosales crm log-email|import|export`: email logging from the command line, customers and contacts as CSV."""

import mailbox
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.core.errors import DomainError
from autosales.crm.email_logging import email_log
from autosales.crm.models import LoggedEmail


def _messages(path: str | None):
    """(name, raw bytes) of each message: stdin, one .eml file, an mbox file, or a maildir."""
    if path is None or path == "-":
        yield "stdin", sys.stdin.buffer.read()
        return
    location = Path(path)
    if location.is_dir():
        if not all((location / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise CommandError(f"{path}: a directory that is not a maildir (it needs cur, new and tmp)")
        box = mailbox.Maildir(location, factory=None, create=False)
        for key in sorted(box.keys()):
            yield f"{path}:{key}", box.get_bytes(key)
        return
    try:
        with location.open("rb") as stream:
            head = stream.read(5)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except PermissionError:
        raise CommandError(f"{path}: permission denied") from None
    if head == b"From ":
        box = mailbox.mbox(location, create=False)
        for index, key in enumerate(box.keys(), start=1):
            yield f"{path}#{index}", box.get_bytes(key)
        return
    yield path, location.read_bytes()


class Command(BaseCommand):
    help = "CRM from the command line: log emails, import or export customers and contacts (see docs/crm.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        log = actions.add_parser("log-email", help="log raw RFC 822 messages on the customers' timelines")
        log.add_argument("path", nargs="?", help="an .eml file, an mbox file or a maildir; stdin when left out")

    def handle(self, *args, action: str, **options):
        if action == "log-email":
            self._log_email(options.get("path"))

    def _log_email(self, path: str | None) -> None:
        counts = {"logged": 0, "inbox": 0, "seen": 0, "failed": 0}
        for name, raw in _messages(path):
            try:
                result = email_log(raw=raw, via="command")
            except DomainError as exc:
                counts["failed"] += 1
                self.stderr.write(f"{name}: {exc.message}")
                continue
            if not result.created:
                counts["seen"] += 1
            elif result.email.status == LoggedEmail.Status.UNMATCHED:
                counts["inbox"] += 1
            else:
                counts["logged"] += 1
        labels = [
            ("logged", "logged"),
            ("inbox", "waiting in the inbox"),
            ("seen", "seen before"),
            ("failed", "not messages"),
        ]
        summary = ", ".join(f"{counts[key]} {label}" for key, label in labels if counts[key]) or "no messages"
        self.stdout.write(summary)
        if counts["failed"] and not (counts["logged"] or counts["inbox"] or counts["seen"]):
            raise CommandError("nothing was logged")
