"""Reading import files: the columns, the CSV reader with line numbers, cell parsers and the errors they report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.text import slugify
from tqdm import tqdm

from autosales.catalog.models import MAX_ORDER_UNITS
from autosales.core.errors import NUL, NUL_REASON, DomainError
from autosales.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, minor_unit_exponent

PRODUCT_COLUMNS = (
    "sku",
    "product",
    "product_slug",
    "category",
    "category_slug",
    "variant_name",
    "brand",
    "description",
    "price",
    "currency",
    "weight_grams",
    "min_quantity",
    "pack_size",
    "active",
    "image",
)
PRODUCT_REQUIRED = ("sku", "product", "category")
ATTRIBUTE_PREFIX = "attr:"
STOCK_COLUMNS = ("sku", "warehouse", "on_hand")

BATCH_SIZE = 1000
# Keeps `IN (...)` lists under SQLite's historical limit of 999 parameters.
LOOKUP_CHUNK = 900
# Files at least this long show a progress bar.
PROGRESS_MIN_ROWS = 1000

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}
_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")
_MAX_INT = 2_147_483_647


class ImportErrorCode(StrEnum):
    INVALID_ROWS = "import_invalid_rows"
    INVALID_FILE = "import_invalid_file"


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in an import file: where it is and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.reason}"


class ImportRejected(DomainError):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, code: ImportErrorCode, errors: Sequence[RowError]):
        self.errors = tuple(sorted(errors))
        lines = {e.line for e in self.errors}
        message = f"{len(self.errors)} problem(s) on {len(lines)} line(s); nothing was imported"
        first = self.errors[0] if self.errors else None
        super().__init__(code, message, field=first.column if first else None)


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    errors: tuple[RowError, ...]
    dry_run: bool
    images: int = 0  # pictures added (the products file's `image` column)


# -- Reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    line: int
    cells: dict[str, str]


def csv_read(data: bytes, *, known: Iterable[str], required: Iterable[str], allow_attributes: bool):
    """The header and the records of a CSV file; raises ImportRejected when the file itself is unusable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            ImportErrorCode.INVALID_FILE, [RowError(line, "", "the file is not UTF-8 text (save it as CSV UTF-8)")]
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportRejected(ImportErrorCode.INVALID_FILE, [RowError(1, "", f"not valid CSV: {exc}")]) from exc
    if not header or not any(h.strip() for h in header):
        raise ImportRejected(ImportErrorCode.INVALID_FILE, [RowError(1, "", "the file is empty (no header row)")])

    columns = [h.strip() for h in header]
    problems = []
    known = set(known)
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            problems.append(RowError(1, name, "duplicate column"))
        seen.add(name)
        if name.startswith(ATTRIBUTE_PREFIX) and allow_attributes:
            if not name[len(ATTRIBUTE_PREFIX) :].strip():
                problems.append(RowError(1, name, "an attribute column needs a name after 'attr:'"))
        elif name not in known:
            expected = ", ".join(sorted(known)) + (", attr:<name>" if allow_attributes else "")
            problems.append(RowError(1, name, f"unknown column (expected: {expected})"))
    problems += [RowError(1, name, "missing column") for name in required if name not in seen]
    if problems:
        raise ImportRejected(ImportErrorCode.INVALID_FILE, problems)

    records: list[Record] = []
    row_errors: list[RowError] = []
    line = 1
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportRejected(
                ImportErrorCode.INVALID_FILE, [RowError(reader.line_num, "", f"not valid CSV: {exc}")]
            ) from exc
        line = reader.line_num
        if not values or not any(v.strip() for v in values):
            continue
        if len(values) != len(columns):
            row_errors.append(RowError(start, "", f"{len(values)} values, but the header has {len(columns)} columns"))
            continue
        cells = dict(zip(columns, values, strict=True))
        with_nul = [RowError(start, column, NUL_REASON) for column, value in cells.items() if NUL in value]
        if with_nul:
            row_errors += with_nul
            continue
        records.append(Record(start, cells))
    return columns, records, row_errors


def progress_bar(*, total: int, desc: str, stream: IO[str] | None):
    if stream is None or total < PROGRESS_MIN_ROWS:
        return nullcontext(None)
    return tqdm(total=total, desc=desc, unit=" rows", file=stream, mininterval=0.5, leave=True)


def tick(bar, n: int = 1) -> None:
    if bar is not None:
        bar.update(n)


def chunks(items: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- Cell parsers: each returns the value or raises ValueError with the reason -------------------------


def text_cell(value: str, *, max_length: int, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise ValueError("required")
    if len(value) > max_length:
        raise ValueError(f"too long ({len(value)} characters, at most {max_length})")
    return value


def slug_cell(value: str, *, name: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        value = slugify(name)[:max_length].strip("-")
        if not value:
            raise ValueError(f"cannot make a slug from {name!r}: give one")
        return value
    if len(value) > max_length:
        raise ValueError(f"too long ({len(value)} characters, at most {max_length})")
    try:
        validate_slug(value)
    except ValidationError as exc:
        raise ValueError(f'not a slug (letters, digits, "-" and "_" only): "{value}"') from exc
    return value


def derived_slug_cell(name: str, *, max_length: int) -> str:
    """The slug made from a name, for files without a slug column."""
    return slug_cell("", name=name.strip(), max_length=max_length)


def price_cell(value: str, *, currency: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    if not _PLAIN_NUMBER.fullmatch(value):
        if value.startswith("-") and _PLAIN_NUMBER.fullmatch(value[1:]):
            raise ValueError(f'must not be negative: "{value}"')
        raise ValueError(f'not a number: "{value}"')
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f'not a number: "{value}"') from exc
    decimals = len(value.partition(".")[2])
    allowed = minor_unit_exponent(currency)
    if decimals > allowed:
        raise ValueError(f'more than {allowed} decimal places for {currency}: "{value}"')
    if len(value.partition(".")[0].lstrip("0")) > MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES:
        raise ValueError(f'too large: "{value}"')
    return amount


def whole_number_cell(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not value.isascii():
        if value.startswith("-") and value[1:].isdigit():
            raise ValueError(f'must not be negative: "{value}"')
        raise ValueError(f'not a whole number: "{value}"')
    number = int(value)
    if number > _MAX_INT:
        raise ValueError(f'too large: "{value}"')
    return number


def order_units_cell(value: str) -> int | None:
    """A minimum quantity or pack size: a whole number from 1 to the most one order line may hold; empty: None."""
    number = whole_number_cell(value)
    if number is None:
        return None
    if number < 1:
        raise ValueError(f'must be at least 1: "{value.strip()}"')
    if number > MAX_ORDER_UNITS:
        raise ValueError(f'must be at most {MAX_ORDER_UNITS:,} (the most one order line may hold): "{value.strip()}"')
    return number


def boolean_cell(value: str) -> bool | None:
    value = value.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f'not true or false: "{value}"')


class Cells:
    """Parses the cells of one record, collecting errors instead of stopping at the first."""

    def __init__(self, record: Record):
        self.record = record
        self.errors: list[RowError] = []

    def has(self, column: str) -> bool:
        return column in self.record.cells

    def get(self, column: str, parse, *args, **kwargs):
        if column not in self.record.cells:
            return None
        try:
            return parse(self.record.cells[column], *args, **kwargs)
        except ValueError as exc:
            self.errors.append(RowError(self.record.line, column, str(exc)))
            return None

    def error(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.record.line, column, reason))
