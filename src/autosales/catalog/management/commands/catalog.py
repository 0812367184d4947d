"""`autosales catalog import|export|import-stock|export-stock`: the catalog and stock levels as CSV."""

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.catalog.exports import products_export, stock_export
from autosales.catalog.imports import ImportRejected, ImportResult, products_import, stock_import

# Enough to fix a file; the count of the rest is printed.
MAX_ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = "Import or export products and stock levels as CSV (see docs/catalog-import.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, what in (("import", "products"), ("import-stock", "stock levels")):
            sub = actions.add_parser(name, help=f"import {what} from a CSV file")
            sub.add_argument("file", metavar="FILE", help='CSV file (UTF-8, with or without BOM); "-" reads stdin')
            sub.add_argument("--skip-invalid", action="store_true", help="import the valid rows, report the others")
            sub.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")
        for name, what in (("export", "products"), ("export-stock", "stock levels")):
            sub = actions.add_parser(name, help=f"export {what} as CSV")
            sub.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args, action: str, **options):
        if action in ("import", "import-stock"):
            self._import(action, options["file"], skip_invalid=options["skip_invalid"], dry_run=options["dry_run"])
        else:
            self._export(action, options.get("output"))

    def _import(self, action: str, file: str, *, skip_invalid: bool, dry_run: bool) -> None:
        data = self._read(file)
        service = products_import if action == "import" else stock_import
        try:
            result = service(data=data, skip_invalid=skip_invalid, dry_run=dry_run, progress=self.stderr._out)
        except ImportRejected as rejected:
            self._errors_write(rejected.errors)
            hint = "" if rejected.code == "import_invalid_file" else " (--skip-invalid imports the valid rows)"
            raise CommandError(f"{file}: {rejected.message}{hint}") from None
        self._errors_write(result.errors)
        self.stdout.write(self._summary(file, result))

    def _read(self, file: str) -> bytes:
        if file == "-":
            return sys.stdin.buffer.read()
        path = Path(file)
        try:
            return path.read_bytes()
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

    def _summary(self, file: str, result: ImportResult) -> str:
        verb = "would be" if result.dry_run else "were"
        text = (
            f"{file}: {result.rows} rows; {result.created} {verb} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
        if result.skipped:
            text += f", {result.skipped} invalid rows skipped"
        if result.dry_run:
            text += " (dry run: nothing was written)"
        return self.style.SUCCESS(text)

    def _export(self, action: str, output: str | None) -> None:
        service = products_export if action == "export" else stock_export
        if output is None:
            try:
                service(stream=self.stdout._out)
                self.stdout.flush()
            except BrokenPipeError:
                # The reader went away (`| head`): not an error of the export.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            return
        try:
            with open(output, "w", encoding="utf-8", newline="") as stream:
                count = service(stream=stream)
        except OSError as exc:
            raise CommandError(f"{output}: {exc.strerror}") from None
        self.stderr.write(f"{output}: {count} rows written")
