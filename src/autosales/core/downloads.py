"""Responses that download a file: a PDF, a CSV export (with its header row)."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse

from autosales.core.spreadsheets import spreadsheet_cell


def download_response(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    return download_response(content, filename=filename, content_type="application/pdf")


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    response = download_response(b"", filename=filename, content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


class _Line:
    """A file-like object that hands back what csv.writer writes, one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_stream_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A CSV download written row by row as it is sent: the header row, then `rows`; text cells are written so a
    spreadsheet shows them (never runs them), numbers and Decimals as plain figures ("1234.50")."""
    writer = csv.writer(_Line())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([spreadsheet_cell(cell) if isinstance(cell, str) else cell for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
