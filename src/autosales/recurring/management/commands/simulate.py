"""`autosales simulate --until DATE`: what standing orders will do, day by day, on a scratch copy of the database."""

import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from autosales.core import clock
from autosales.core.timezones import is_zone_name, shop_time_zone, zone_error
from autosales.recurring.simulation import day_start, simulate


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--until: not a date (YYYY-MM-DD): {value!r}") from None


def _days(value: str) -> int:
    if not value.isdigit() or int(value) > 60:
        raise CommandError(f"a whole number of days from 0 to 60: {value!r}")
    return int(value)


def _zone(value: str) -> str:
    if not is_zone_name(value):
        raise CommandError(f"--time-zone: {zone_error(value)}")
    return value


class _Rollback(Exception):
    pass


@contextmanager
def scratch_database():
    """Runs the block against a throw-away copy: SQLite is copied to a temporary file; on PostgreSQL the block
    runs in one transaction that is rolled back. Nothing reaches the real database either way."""
    connection = connections["default"]
    if connection.vendor == "sqlite":
        source = connection.settings_dict["NAME"]
        folder = tempfile.mkdtemp(prefix="autosales-simulate-")
        copy = os.path.join(folder, "simulation.sqlite3")
        connection.close()
        with sqlite3.connect(source) as live, sqlite3.connect(copy) as scratch:
            live.backup(scratch)
        original = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = copy
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original
            shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


class Command(BaseCommand):
    help = (
        "Run the standing-order scheduler, advance notices, shipping and the outbox on a moved clock over a "
        "scratch copy of the database, and print what would happen (the real database is not changed)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--until", required=True, type=_date, help="last day to simulate (YYYY-MM-DD), up to its midnight"
        )
        parser.add_argument("--from", dest="start", type=_date, help="first day (default: now)")
        parser.add_argument(
            "--time-zone",
            type=_zone,
            help="the zone of the dates given and printed, e.g. Pacific/Auckland (default: the shop's, SHOP_TIME_ZONE)",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="one JSON object per line instead of a table"
        )
        parser.add_argument(
            "--only", action="append", default=[], help="show only these event types (placed, notice, email, ...)"
        )
        parser.add_argument(
            "--receive-stock",
            action="store_true",
            help="receive the demand forecast's suggested quantities every week (filling backorders first)",
        )
        parser.add_argument(
            "--no-shipping", dest="shipping", action="store_false", help="leave placed orders unshipped"
        )
        parser.add_argument(
            "--handling-days",
            type=_days,
            default=1,
            help="days from an order without a promised ship day to its shipment (default 1)",
        )
        parser.add_argument(
            "--transit-days", type=_days, default=3, help="days from a shipment to its delivery (default 3)"
        )

    def handle(
        self,
        *args,
        until,
        start,
        time_zone,
        as_json: bool,
        only,
        receive_stock: bool = False,
        shipping: bool = True,
        handling_days: int = 1,
        transit_days: int = 3,
        **options,
    ):
        time_zone = time_zone or shop_time_zone()
        zone = ZoneInfo(time_zone)
        start_at = day_start(start, zone) if start else clock.now()
        first_day = start_at.astimezone(zone).date()
        if until < first_day:
            raise CommandError(f"--until: {until} is before the start, {first_day}")
        self._zone = zone
        counts: Counter = Counter()
        writer = self._json_line if as_json else self._table_row
        if not as_json:
            self.stdout.write(
                f"Simulating {first_day} to {until} ({time_zone} time) on a scratch copy (nothing real changes)."
            )
            self.stdout.write(f"{'date':<10}  {'event':<14}  {'standing order':<16}  detail")
        with scratch_database():
            try:
                events = simulate(
                    until=until,
                    start=start_at,
                    time_zone=time_zone,
                    shipping=shipping,
                    receive_stock=receive_stock,
                    handling=dt.timedelta(days=handling_days),
                    transit=dt.timedelta(days=transit_days),
                )
                for event in events:
                    counts[event["type"]] += 1
                    if not only or event["type"] in only:
                        writer(event)
            finally:
                clock.set_now(None)
        if as_json:
            writer({"type": "summary", **dict(counts)})
        else:
            summary = ", ".join(f"{name}: {count}" for name, count in sorted(counts.items())) or "nothing happens"
            self.stdout.write(f"\nSummary: {summary}")

    def _json_line(self, event: dict) -> None:
        self.stdout.write(json.dumps(event, default=str, sort_keys=True))

    def _table_row(self, event: dict) -> None:
        kind = event["type"]
        if kind == "email":
            detail = f"to {', '.join(event['to'])}: {event['subject']}"
        elif kind == "placed":
            detail = f"order {event['order_number']} {event['total']} {event['currency']}"
            if event.get("moved_to"):
                detail += f" for {event['moved_to']} (moved from {event['scheduled_for']})"
            if event.get("late"):
                detail += " (late)"
            if event.get("backordered"):
                detail += f", backordered {sum(i['quantity'] for i in event['backordered'])} units"
        elif kind == "shipped":
            detail = (
                f"order {event['order_number']}: {event['units']} units from {event['center']} ({event['shipment']})"
            )
        elif kind == "delivered":
            detail = f"order {event['order_number']} ({event['shipment']})"
        elif kind == "received":
            detail = f"{event['units']} units at {event['center']}, {event['to_backorders']} to backorders"
        elif kind == "notice":
            day = event["scheduled_for"]
            if event.get("moved_to"):
                day = f"{event['moved_to']} (moved from {day})"
            detail = f"for {day} to {', '.join(event['to'])}"
        else:
            detail = event.get("reason", "")
            if event.get("retry_at"):
                retry_day = dt.datetime.fromisoformat(event["retry_at"]).astimezone(self._zone).date()
                detail += f" (retry {retry_day})"
        self.stdout.write(f"{event['date']:<10}  {kind:<14}  {event.get('standing_order', '')[:16]:<16}  {detail}")
