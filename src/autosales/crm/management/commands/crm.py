"""`autosales crm log-email|import|export`: email logging from the command line, customers and contacts as CSV."""

import mailbox
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.catalog.imports.command_line import csv_file_read, csv_import_arguments_add, row_errors_write
from autosales.core.errors import DomainError
from autosales.crm.email_logging import email_log
from autosales.crm.exports import contacts_export
from autosales.crm.imports import ImportRejected, contacts_import
from autosales.crm.models import LoggedEmail
from autosales.customers.models import User


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
        imports = actions.add_parser("import", help="import organizations and contacts from a CSV file")
        csv_import_arguments_add(imports)
        imports.add_argument("--as", dest="username", help="import as this salesperson or manager (their rule applies)")
        export = actions.add_parser("export", help="export organizations and contacts as CSV")
        export.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args, action: str, **options):
        if action == "log-email":
            self._log_email(options.get("path"))
        elif action == "import":
            self._import(
                options["file"],
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                username=options.get("username"),
            )
        else:
            self._export(options.get("output"))

    def _import(self, file: str, *, dry_run: bool, skip_invalid: bool, username: str | None) -> None:
        actor = None
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"--as {username}: no such active user")
        data = csv_file_read(file)
        try:
            result = contacts_import(
                data=data, actor=actor, dry_run=dry_run, skip_invalid=skip_invalid, progress=self.stderr._out
            )
        except ImportRejected as rejected:
            row_errors_write(self, rejected.errors)
            hint = " (--skip-invalid imports the valid rows)" if rejected.errors else ""
            raise CommandError(f"{file}: {rejected.message}{hint}") from None
        row_errors_write(self, result.errors)
        verb = "would be" if dry_run else "were"
        text = (
            f"{file}: {result.rows} rows; organizations: {result.organizations_created} {verb} created, "
            f"{result.organizations_updated} updated; contacts: {result.contacts_created} created, "
            f"{result.contacts_updated} updated"
        )
        if result.skipped:
            text += f"; {result.skipped} invalid rows skipped"
        if dry_run:
            text += " (dry run: nothing was written)"
        self.stdout.write(self.style.SUCCESS(text))

    def _export(self, output: str | None) -> None:
        if output is None:
            contacts_export(stream=self.stdout._out)
            self.stdout.flush()
            return
        try:
            with open(output, "w", encoding="utf-8", newline="") as stream:
                rows = contacts_export(stream=stream)
        except OSError as exc:
            raise CommandError(f"{output}: {exc.strerror}") from None
        self.stderr.write(f"{output}: {rows} rows written")

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
