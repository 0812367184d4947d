"""Responses that download a file: a PDF, a CSV export (with its header row)."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse


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
