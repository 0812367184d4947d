"""`autosales fulfillment import-tracking|receive|delivered`: CSV rows checked first, each problem with its line
and column; nothing written while a row is bad (unless skipped); a file imported twice changes nothing."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from autosales.fulfillment.models import Shipment, ShipmentStatus, StockReceipt
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order, OrderStatus
from tests.factories import make_checkout, make_warehouse, place_test_order
from tests.suite_runs import once

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return make_checkout(stock=10, has_account_terms=True, credit_limit=100_000)


def _run(tmp_path, action, text, *options):
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("fulfillment", action, str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_tracking_ships_each_row_once(tmp_path, shop):
    first = place_test_order(shop, quantity=3, kind="account")
    second = place_test_order(shop, quantity=4, kind="account")
    Order.objects.filter(pk=first.pk).update(placed_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC))
    sku = shop.variant.sku
    text = (
        "order,lines,carrier,tracking,shipped_at\n"
        f"{first.number_display},{sku}:2,ups,1Z001,2026-03-02T14:30:00-06:00\n"
        f"{second.public_id},all,FedEx,794600000001,\n"
    )

    out, _ = _run(tmp_path, "import-tracking", text)
    assert "2 rows; 2 shipments made" in out
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == OrderStatus.PARTIALLY_SHIPPED and second.status == OrderStatus.SHIPPED
    assert Shipment.objects.get(order=second).lines.get().quantity == 4

    out, _ = _run(tmp_path, "import-tracking", text)
    assert "0 shipments made, 2 imported before" in out
    assert Shipment.objects.count() == 2


def test_import_tracking_reports_every_bad_row_and_ships_nothing(tmp_path, shop):
    order = place_test_order(shop, quantity=3, kind="account")
    sku = shop.variant.sku
    text = (
        "order,lines,carrier,tracking,shipped_at\n"
        f"{order.number_display},{sku}:2,ups,1Z001,\n"  # good
        f"{order.number_display},{sku}:9,ups,1Z002,\n"  # more than allocated (1 left after line 2)
        "NOPE-NOPE-NO,all,ups,1Z003,\n"
        f"{order.number_display},{sku}:x,pigeon,1Z004,yesterday\n"
    )
    with pytest.raises(CommandError) as refused:
        _run(tmp_path, "import-tracking", text)
    assert "nothing was imported" in str(refused.value)
    assert not Shipment.objects.exists()

    out, err = _run(tmp_path, "import-tracking", text, "--skip-invalid")
    assert "line 3, column lines: " in err and "1 allocated" in err
    assert 'line 4, column order: no order "NOPE-NOPE-NO"' in err
    assert "line 5, column carrier: Unknown carrier 'pigeon'" in err
    assert "line 5, column shipped_at: not a date or time" in err
    assert "line 5, column lines: " in err
    assert "1 shipments made, 3 invalid rows skipped" in out
    assert Shipment.objects.count() == 1


def test_a_dry_run_writes_nothing(tmp_path, shop):
    order = place_test_order(shop, quantity=1, kind="account")
    out, _ = _run(
        tmp_path, "import-tracking", f"order,lines,carrier,tracking\n{order.number},all,usps,9400\n", "--dry-run"
    )
    assert "1 shipments would be made" in out and "dry run" in out
    assert not Shipment.objects.exists()


def test_two_centers_need_a_center_column(tmp_path, shop):
    east = make_warehouse(code="EAST", priority=9)
    StockLevel.objects.create(warehouse=east, variant=shop.variant, on_hand=10)
    order = place_test_order(shop, quantity=15, kind="account")  # 10 at the first center, 5 at EAST
    with pytest.raises(CommandError):
        _run(tmp_path, "import-tracking", f"order,lines,carrier,tracking\n{order.number},all,ups,1Z\n")
    out, _ = _run(tmp_path, "import-tracking", f"order,lines,carrier,tracking,center\n{order.number},all,ups,1Z,east\n")
    assert "1 shipments made" in out
    assert Shipment.objects.get().lines.get().quantity == 5


def test_receive_then_delivered(tmp_path, shop):
    order = place_test_order(shop, quantity=12, kind="account", backorder=True)
    center = StockLevel.objects.get(variant=shop.variant).warehouse
    out, _ = _run(tmp_path, "receive", f"center,sku,quantity,reference\n{center.code},{shop.variant.sku},5,PO-1\n")
    assert "1 receipts written" in out
    assert StockReceipt.objects.get().reference == "PO-1"
    assert order.lines.get().quantity_backordered == 0
    out, _ = _run(tmp_path, "receive", f"center,sku,quantity,reference\n{center.code},{shop.variant.sku},5,PO-1\n")
    assert "0 receipts written, 1 imported before" in out  # the same delivery note: nothing received twice
    assert StockLevel.objects.get(variant=shop.variant).on_hand == 15

    with pytest.raises(CommandError):
        _run(tmp_path, "receive", f"center,sku,quantity\n{center.code},NOPE,5\n{center.code},{shop.variant.sku},-2\n")
    assert StockReceipt.objects.count() == 1

    _run(tmp_path, "import-tracking", f"order,lines,carrier,tracking\n{order.number},all,ups,1ZDONE\n")
    out, _ = _run(tmp_path, "delivered", "carrier,tracking,delivered_at\nups,1ZDONE,\n")
    assert "1 shipments delivered" in out
    assert Shipment.objects.get().status == ShipmentStatus.DELIVERED
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


@once
@pytest.mark.parametrize(
    ("action", "header"),
    [
        ("import-tracking", "order,lines,carrier,tracking,shipped_at,center"),
        ("receive", "center,sku,quantity,reference"),
        ("delivered", "carrier,tracking,delivered_at"),
    ],
)
def test_each_actions_help_names_its_columns_with_an_example_file(capsys, action, header):
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["autosales", "fulfillment", action, "--help"]).execute()

    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "Columns: " in text and "(required)" in text
    assert f"\n  {header}\n" in text  # the example file's header row, then a row
    assert "--skip-invalid" in text and "--dry-run" in text and "--user USERNAME" in text


def test_a_row_shipped_before_its_order_was_placed_is_refused(tmp_path, shop):
    order = place_test_order(shop, quantity=3, kind="account")
    placed = order.placed_at.astimezone(dt.UTC)
    before = (placed - dt.timedelta(hours=1)).isoformat()
    text = f"order,lines,carrier,tracking,shipped_at\n{order.number_display},all,ups,1Z001,{before}\n"

    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("fulfillment", "import-tracking", str(path), stdout=io.StringIO(), stderr=err)

    assert f"line 2, column shipped_at: before order {order.number_display} was placed" in err.getvalue()
    assert not Shipment.objects.exists()
