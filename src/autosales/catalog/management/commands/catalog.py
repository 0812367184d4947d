"""`autosales catalog import|export|import-stock|export-stock`: the catalog and stock levels as CSV."""

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.catalog.exports import products_export, stock_export
from autosales.catalog.imports import ImportResult, products_import, stock_import
from autosales.catalog.imports.command_line import csv_import_arguments_add, csv_import_run


class Command(BaseCommand):
    help = "Import or export products and stock levels as CSV (see docs/catalog-import.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, what in (("import", "products"), ("import-stock", "stock levels")):
            sub = actions.add_parser(name, help=f"import {what} from a CSV file")
            csv_import_arguments_add(sub)
            if name == "import":
                sub.add_argument(
                    "--images",
                    metavar="DIR",
                    help="folder that `image` file paths are read from (default: the CSV file's folder)",
                )
        for name, what in (("export", "products"), ("export-stock", "stock levels")):
            sub = actions.add_parser(name, help=f"export {what} as CSV")
            sub.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args, action: str, **options):
        if action == "import":
            file = options["file"]
            root = Path(options["images"] or (Path(file).parent if file != "-" else Path.cwd()))
            if not root.is_dir():
                raise CommandError(f"--images {root}: no such folder")
            result = csv_import_run(
                self,
                file=file,
                service=products_import,
                skip_invalid=options["skip_invalid"],
                dry_run=options["dry_run"],
                image_root=root,
            )
            self.stdout.write(self._summary(file, result))
        elif action == "import-stock":
            self._import(action, options["file"], skip_invalid=options["skip_invalid"], dry_run=options["dry_run"])
        else:
            self._export(action, options.get("output"))

    def _import(self, action: str, file: str, *, skip_invalid: bool, dry_run: bool) -> None:
        service = products_import if action == "import" else stock_import
        result = csv_import_run(self, file=file, service=service, skip_invalid=skip_invalid, dry_run=dry_run)
        self.stdout.write(self._summary(file, result))

    def _summary(self, file: str, result: ImportResult) -> str:
        verb = "would be" if result.dry_run else "were"
        text = (
            f"{file}: {result.rows} rows; {result.created} {verb} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
        if result.images:
            text += f"; {result.images} pictures added"
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
