"""The carriers a shipment can leave with, each with a name and a tracking-URL template.

Built in: UPS, FedEx, USPS, DHL and a freight carrier (Old Dominion). `FULFILLMENT_CARRIERS` in settings adds
carriers or replaces a built-in one by its code:

    FULFILLMENT_CARRIERS = {"ontrac": {"name": "OnTrac", "tracking_url": "https://www.ontrac.com/tracking/?number={number}"}}

A template holds `{number}` once: the tracking number, URL-quoted, goes there. A carrier without a tracking page
gives an empty template (its shipments show the number without a link). `carriers_check` (a system check)
refuses a bad entry at start-up rather than at the first shipment.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

from autosales.core.errors import DomainError
from autosales.fulfillment.errors import FulfillmentError


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url: str  # with {number}, or "" when the carrier has no tracking page

    def tracking_link(self, number: str) -> str:
        if not self.tracking_url or not number:
            return ""
        return self.tracking_url.replace("{number}", quote(number, safe=""))


BUILT_IN: dict[str, dict[str, str]] = {
    "ups": {"name": "UPS", "tracking_url": "https://www.ups.com/track?tracknum={number}"},
    "fedex": {"name": "FedEx", "tracking_url": "https://www.fedex.com/fedextrack/?trknbr={number}"},
    "usps": {"name": "USPS", "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"},
    "dhl": {
        "name": "DHL Express",
        "tracking_url": "https://www.dhl.com/us-en/home/tracking/tracking-express.html?tracking-id={number}",
    },
    "odfl": {
        "name": "Old Dominion Freight Line (LTL)",
        "tracking_url": "https://www.odfl.com/us/en/tools/trace-track-ltl-freight/trace.html?proNumbers={number}",
    },
}

MAX_CODE = 20


def carrier_problems(entries: dict) -> list[str]:
    """What is wrong with carrier entries as settings give them (empty: nothing)."""
    problems = []
    if not isinstance(entries, dict):
        return ["FULFILLMENT_CARRIERS must be a dict of code -> {'name': ..., 'tracking_url': ...}."]
    for code, entry in entries.items():
        where = f"FULFILLMENT_CARRIERS[{code!r}]"
        if not isinstance(code, str) or not code or len(code) > MAX_CODE or not code.replace("-", "").isalnum():
            problems.append(f"{where}: a code is 1 to {MAX_CODE} letters, digits or dashes.")
            continue
        if code != code.lower():
            problems.append(f"{where}: write the code in lower case.")
        if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
            problems.append(f"{where}: needs a 'name'.")
            continue
        template = entry.get("tracking_url", "")
        if not isinstance(template, str):
            problems.append(f"{where}: 'tracking_url' must be text.")
            continue
        if template:
            if template.count("{number}") != 1:
                problems.append(f"{where}: 'tracking_url' must hold {{number}} exactly once.")
            parts = urlsplit(template.replace("{number}", "X"))
            if parts.scheme != "https" or not parts.netloc:
                problems.append(f"{where}: 'tracking_url' must be an https:// address.")
    return problems


def carriers() -> dict[str, Carrier]:
    """Every carrier by code: the built-in ones, then settings.FULFILLMENT_CARRIERS (which may replace them)."""
    entries = {**BUILT_IN, **getattr(settings, "FULFILLMENT_CARRIERS", {})}
    return {
        code: Carrier(code=code, name=str(entry["name"]).strip(), tracking_url=entry.get("tracking_url", ""))
        for code, entry in entries.items()
    }


def carrier_get(code: str, *, field: str = "carrier") -> Carrier:
    """The carrier `code` (any case); raises DomainError naming `field` with the known codes when there is none."""
    known = carriers()
    carrier = known.get((code or "").strip().lower())
    if carrier is None:
        raise DomainError(
            FulfillmentError.CARRIER_UNKNOWN,
            f"Unknown carrier {code!r}; use one of {', '.join(sorted(known))}.",
            field,
        )
    return carrier


def carrier_tracking_url(code: str, number: str) -> str:
    """The carrier's tracking page for `number` ("" for an unknown carrier or one without a page)."""
    carrier = carriers().get((code or "").lower())
    return carrier.tracking_link(number) if carrier else ""
