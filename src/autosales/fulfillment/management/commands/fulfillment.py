"""`autosales fulfillment import-tracking|receive|delivered FILE.csv`: shipments, goods in and deliveries from CSV."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.catalog.imports import ImportRejected
from autosales.fulfillment.imports import FileResult, deliveries_import, receipts_import, tracking_import

# Enough to fix a file; the count of the rest is printed.
MAX_ERRORS_SHOWN = 200

ACTIONS = {
    "import-tracking": (tracking_import, "ship orders from a CSV of tracking numbers", "shipments made"),
    "receive": (receipts_import, "receive stock from a CSV (center, sku, quantity, reference)", "receipts written"),
    "delivered": (deliveries_import, "mark shipments delivered from a CSV of tracking events", "shipments delivered"),
}


class Command(BaseCommand):
    help = "Fulfillment from CSV files: tracking numbers, goods received, deliveries (see docs/fulfillment.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, (_, what, _) in ACTIONS.items():
            sub = actions.add_parser(name, help=what)
            sub.add_argument("file", metavar="FILE", help='CSV file (UTF-8, with or without BOM); "-" reads stdin')
            sub.add_argument("--skip-invalid", action="store_true", help="import the valid rows, report the others")
            sub.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")
            sub.add_argument("--user", metavar="USERNAME", help="the staff user recorded as doing it")

    def handle(self, *args, action: str, file: str, skip_invalid: bool, dry_run: bool, user: str | None, **options):
        service, _, done = ACTIONS[action]
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True, is_staff=True).first()
            if actor is None:
                raise CommandError(f"--user: no active staff user {user!r}")
        data = self._read(file)
        try:
            result = service(
                data=data, actor=actor, skip_invalid=skip_invalid, dry_run=dry_run, progress=self.stderr._out
            )
        except ImportRejected as rejected:
            self._errors_write(rejected.errors)
            hint = "" if rejected.code == "import_invalid_file" else " (--skip-invalid imports the valid rows)"
            raise CommandError(f"{file}: {rejected.message}{hint}") from None
        self._errors_write(result.errors)
        self.stdout.write(self._summary(file, result, done))

    def _read(self, file: str) -> bytes:
        if file == "-":
            return sys.stdin.buffer.read()
        try:
            return Path(file).read_bytes()
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except IsADirectoryError:
            raise CommandError(f"{file}: is a directory, not a CSV file") from None
        except PermissionError:
            raise CommandError(f"{file}: permission denied") from None

    def _errors_write(self, errors) -> None:
        for error in errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(str(error))
        if len(errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(f"… and {len(errors) - MAX_ERRORS_SHOWN} more")

    def _summary(self, file: str, result: FileResult, done: str) -> str:
        text = f"{file}: {result.rows} rows; {result.done} {done}"
        if result.dry_run:
            text = f"{file}: {result.rows} rows; {result.done} {done.split()[0]} would be {done.split()[1]}"
        if result.unchanged:
            text += f", {result.unchanged} imported before (unchanged)"
        if result.skipped:
            text += f", {result.skipped} invalid rows skipped"
        if result.dry_run:
            text += " (dry run: nothing was written)"
        return self.style.SUCCESS(text)
