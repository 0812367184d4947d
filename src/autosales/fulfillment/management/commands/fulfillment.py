"""`autosales fulfillment import-tracking|receive|delivered FILE.csv`: shipments, goods in and deliveries from CSV."""

import textwrap
from argparse import RawDescriptionHelpFormatter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autosales.catalog.imports.command_line import csv_import_arguments_add, csv_import_run
from autosales.fulfillment.imports import (
    DELIVERY_COLUMNS,
    DELIVERY_REQUIRED,
    RECEIPT_COLUMNS,
    RECEIPT_REQUIRED,
    TRACKING_COLUMNS,
    TRACKING_REQUIRED,
    FileResult,
    deliveries_import,
    receipts_import,
    tracking_import,
)

ACTIONS = {
    "import-tracking": (tracking_import, "ship orders from a CSV of tracking numbers", "shipments made"),
    "receive": (receipts_import, "receive stock from a CSV (center, sku, quantity, reference)", "receipts written"),
    "delivered": (deliveries_import, "mark shipments delivered from a CSV of tracking events", "shipments delivered"),
}

# What `--help` of each action says about its file: the columns (required ones first), their meaning, an example.
FILE_HELP = {
    "import-tracking": (
        TRACKING_COLUMNS,
        TRACKING_REQUIRED,
        "One shipment per row. order: the confirmation number or the order's public id; lines: SKU:quantity "
        'separated by ";", or "all" for every unit allocated (at center); carrier: a carrier code (ups, fedex, '
        "usps, dhl, odfl, or one from FULFILLMENT_CARRIERS); tracking: the tracking or PRO number; shipped_at: "
        "ISO 8601 (a date alone or a time without zone is in the shop's time zone; empty: now); center: needed "
        "when the order is allocated at more than one center. A row imported before (same order, carrier and "
        "tracking) ships nothing again.",
        "7K2Q-9XMD-4T,A19-60W-E26-2700K-4PK:250;BR30-65W-E26:4,ups,1Z999AA10123456784,2027-02-01T15:20:00-06:00,CHI",
    ),
    "receive": (
        RECEIPT_COLUMNS,
        RECEIPT_REQUIRED,
        "One receipt per center and reference; the units go to waiting backorders first. A center's reference "
        "imported before is left as it is.",
        "CHI,A19-60W-E26-2700K-4PK,2000,ASN-55121",
    ),
    "delivered": (
        DELIVERY_COLUMNS,
        DELIVERY_REQUIRED,
        "A carrier's tracking events: the shipment with this carrier and tracking number is delivered at "
        "delivered_at (ISO 8601; empty: now). A shipment delivered before is left as it is.",
        "ups,1Z999AA10123456784,2027-02-04T10:02:00-06:00",
    ),
}


def _file_help(action: str) -> str:
    columns, required, meaning, example = FILE_HELP[action]
    optional = [c for c in columns if c not in required]
    text = (
        f"Columns: {', '.join(required)} (required){', ' if optional else ''}{', '.join(optional)}"
        f"{' (optional)' if optional else ''}. {meaning} Every row is checked before anything is written; a file "
        "with a bad row does nothing unless --skip-invalid. Example file:"
    )
    return f"{textwrap.fill(text, width=79)}\n\n  {','.join(columns)}\n  {example}"


class Command(BaseCommand):
    help = "Fulfillment from CSV files: tracking numbers, goods received, deliveries (see docs/fulfillment.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, (_, what, _) in ACTIONS.items():
            sub = actions.add_parser(
                name, help=what, description=_file_help(name), formatter_class=RawDescriptionHelpFormatter
            )
            csv_import_arguments_add(sub)
            sub.add_argument("--user", metavar="USERNAME", help="the staff user recorded as doing it")

    def handle(self, *args, action: str, file: str, skip_invalid: bool, dry_run: bool, user: str | None, **options):
        service, _, done = ACTIONS[action]
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True, is_staff=True).first()
            if actor is None:
                raise CommandError(f"--user: no active staff user {user!r}")
        result = csv_import_run(
            self, file=file, service=service, actor=actor, skip_invalid=skip_invalid, dry_run=dry_run
        )
        self.stdout.write(self._summary(file, result, done))

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
