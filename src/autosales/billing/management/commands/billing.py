"""`autosales billing import-payments FILE.csv | journal`: a bank export of payments in, the accounting journal out."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.billing.journal import journal_csv
from autosales.billing.payment_import import PaymentsFileRejected, payments_import
from autosales.catalog.imports.command_line import csv_file_read, csv_import_arguments_add, row_errors_write


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
        csv_import_arguments_add(importing)
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
        data = csv_file_read(file)
        try:
            outcome = payments_import(data=data, dry_run=dry_run, skip_invalid=skip_invalid, progress=self.stderr._out)
        except PaymentsFileRejected as rejected:
            row_errors_write(self, rejected.errors)
            hint = "" if any(e.line == 1 for e in rejected.errors) else " (--skip-invalid imports the valid rows)"
            raise CommandError(f"{file}: {rejected.message}{hint}") from None
        row_errors_write(self, outcome.errors)
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
