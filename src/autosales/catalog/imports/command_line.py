"""What every `autosales ... import` command shares: its file arguments, reading the file, the row errors.

A CSV import service takes `data`, `skip_invalid`, `dry_run` and `progress` (a stream for the progress bar),
raises `ImportRejected` with the row errors when the file is refused, and returns a result with `errors`
(the rows skipped). The catalog, stock and fulfillment commands run theirs through `csv_import_run`, so their
errors, hints and exit status read alike.
"""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.catalog.imports.rows import ImportErrorCode, ImportRejected

# Enough to fix a file; the count of the rest is printed.
MAX_ERRORS_SHOWN = 200


def csv_import_arguments_add(parser: CommandParser) -> None:
    """The arguments of an import sub-command: the file, --skip-invalid and --dry-run."""
    parser.add_argument("file", metavar="FILE", help='CSV file (UTF-8, with or without BOM); "-" reads stdin')
    parser.add_argument("--skip-invalid", action="store_true", help="import the valid rows, report the others")
    parser.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")


def csv_file_read(file: str) -> bytes:
    """The file's bytes ("-" is stdin); a file that cannot be read is a CommandError saying why."""
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


def row_errors_write(command: BaseCommand, errors) -> None:
    """Each row error on stderr, at most MAX_ERRORS_SHOWN of them, then how many more there are."""
    for error in errors[:MAX_ERRORS_SHOWN]:
        command.stderr.write(str(error))
    if len(errors) > MAX_ERRORS_SHOWN:
        command.stderr.write(f"… and {len(errors) - MAX_ERRORS_SHOWN} more")


def csv_import_run(command: BaseCommand, *, file: str, service: Callable[..., Any], **arguments) -> Any:
    """Run an import service on FILE with a progress bar on stderr; print its row errors; a refused file is a
    CommandError (exit status 1) with a hint to --skip-invalid when only some rows are bad."""
    data = csv_file_read(file)
    try:
        result = service(data=data, progress=command.stderr._out, **arguments)
    except ImportRejected as rejected:
        row_errors_write(command, rejected.errors)
        hint = "" if rejected.code == ImportErrorCode.INVALID_FILE else " (--skip-invalid imports the valid rows)"
        raise CommandError(f"{file}: {rejected.message}{hint}") from None
    row_errors_write(command, result.errors)
    return result
