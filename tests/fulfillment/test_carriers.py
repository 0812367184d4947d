"""The carrier registry: built-in carriers, more from settings, tracking links, bad entries refused at start-up."""

import pytest

from autosales.core.errors import DomainError
from autosales.fulfillment.carriers import carrier_get, carrier_problems, carrier_tracking_url, carriers
from autosales.fulfillment.checks import carriers_check
from tests.suite_runs import once

pytestmark = once


def test_built_in_carriers_link_to_their_tracking_pages():
    assert set(carriers()) >= {"ups", "fedex", "usps", "dhl", "odfl"}
    assert carrier_tracking_url("ups", "1Z 999/AA") == "https://www.ups.com/track?tracknum=1Z%20999%2FAA"
    assert carrier_tracking_url("nope", "1") == ""


def test_settings_add_and_replace_carriers(settings):
    settings.FULFILLMENT_CARRIERS = {
        "ontrac": {"name": "OnTrac", "tracking_url": "https://www.ontrac.com/tracking/?number={number}"},
        "ups": {"name": "UPS Freight", "tracking_url": ""},
    }
    assert carrier_get("OnTrac").tracking_link("C1") == "https://www.ontrac.com/tracking/?number=C1"
    assert carrier_get("ups").name == "UPS Freight" and carrier_tracking_url("ups", "1Z") == ""
    assert carriers_check() == []


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ({"x": {"name": "X", "tracking_url": "http://x.example/{number}"}}, "https://"),
        ({"x": {"name": "X", "tracking_url": "https://x.example/track"}}, "{number} exactly once"),
        ({"x": {"tracking_url": ""}}, "needs a 'name'"),
        ({"Bad Code": {"name": "X"}}, "a code is"),
        ([], "must be a dict"),
    ],
)
def test_bad_entries_are_refused_with_the_reason(settings, entries, reason):
    assert any(reason in problem for problem in carrier_problems(entries))
    settings.FULFILLMENT_CARRIERS = entries
    assert carriers_check()[0].id == "fulfillment.E001"


def test_an_unknown_carrier_names_the_known_ones():
    with pytest.raises(DomainError) as refused:
        carrier_get("pigeon")
    assert refused.value.field == "carrier" and "ups" in refused.value.message
