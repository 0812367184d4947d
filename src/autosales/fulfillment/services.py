"""The writes of fulfillment, one import away: shipping, delivery, cancelling the rest, receiving stock.

Each lives in the module of its own concern (shipments, cancellation, receiving, capture); this module names
them for the pages, the API and the commands.
"""

from autosales.fulfillment.cancellation import order_cancel_remainder
from autosales.fulfillment.capture import shipment_capture
from autosales.fulfillment.receiving import backorders_allocate, stock_receive
from autosales.fulfillment.shipments import shipment_create, shipment_mark_delivered

__all__ = [
    "backorders_allocate",
    "order_cancel_remainder",
    "shipment_capture",
    "shipment_create",
    "shipment_mark_delivered",
    "stock_receive",
]
