"""`autosales billing import-payments FILE.csv | journal`: a bank export of payments in, the accounting journal out."""

import datetime as dt
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.billing.journal import journal_csv
from autosales.billing.payment_import import PaymentsFileRejected, payments_import

MAX_ERRORS_SHOWN = 200


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Import payments received from a bank's CSV, or export the accounting journal (see docs/billing.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        importing = actions.add_parser(
            "import-payments", help="record payments from a CSV (date, amount, reference, payer)"
        )
        importing.add_argument("file", metavar="FILE", help='CSV file (UTF-8); "-" reads stdin')
        importing.add_argument("--dry-run", action="store_true", help="match and report, record nothing")
        importing.add_argument("--skip-invalid", action="store_true", help="import the valid rows, report the others")
        journal = actions.add_parser("journal", help="the accounting journal of a period as CSV")
        journal.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
        journal.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
        journal.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args, action: str, **options):
        if action == "import-payments":
            self._import(options["file"], dry_run=options["dry_run"], skip_invalid=options["skip_invalid"])
        else:
            self._journal(_date(options["start"]), _date(options["end"]), options.get("output"))

    def _import(self, file: str, *, dry_run: bool, skip_invalid: bool) -> None:
        if file == "-":
            data = sys.stdin.buffer.read()
        else:
            try:
                data = Path(file).read_bytes()
            except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
                raise CommandError(f"{file}: {exc.strerror.lower()}") from None
        try:
            outcome = payments_import(data=data, dry_run=dry_run, skip_invalid=skip_invalid, progress=self.stderr._out)
        except PaymentsFileRejected as rejected:
            for error in rejected.errors[:MAX_ERRORS_SHOWN]:
                self.stderr.write(str(error))
            hint = "" if any(e.line == 1 for e in rejected.errors) else " (--skip-invalid imports the valid rows)"
            raise CommandError(f"{file}: {rejected.message}{hint}") from None
        for error in outcome.errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(str(error))
        if outcome.unmatched:
            self.stdout.write("Unmatched (record these by hand in the back office):")
            for line, row in outcome.unmatched:
                self.stdout.write(f"  line {line}: {row['date']} {row['amount']} {row['reference']!r} {row['payer']!r}")
        verb = "would be" if dry_run else "were"
        summary = (
            f"{file}: {outcome.rows} rows; {outcome.recorded} payments {verb} recorded, {outcome.already} imported "
            f"before, {len(outcome.unmatched)} unmatched, {len(outcome.errors)} with errors"
        )
        if dry_run:
            summary += " (dry run: nothing was written)"
        self.stdout.write(self.style.SUCCESS(summary))

    def _journal(self, start: dt.date, end: dt.date, output: str | None) -> None:
        if end < start:
            raise CommandError("--to is before --from")
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = journal_csv(start=start, end=end, out=out)
            self.stderr.write(f"{count} journal lines written to {output}")
        else:
            journal_csv(start=start, end=end, out=self.stdout._out)
