"""Store visits: the pages and products a customer's people view in one sitting, summed up as one timeline entry.

Recording must cost a store page no database query, so it only touches the shared cache (Redis or files, see
settings.CACHES): `StoreVisitMiddleware` adds each store page a signed-in customer views (GET, answered 200 with
HTML, in the storefront) to that person's open visit, a small dict under `crm:visit:{user id}`, once the page has
been sent. A visit is over after `IDLE` without a page; the person's next page starts a new one (the one that
ended is kept under its own key until the job has written it). Guests, staff and requests outside the store
record nothing, and nothing at all when `CRM_STORE_VISITS` is off.

Each visit started is appended to a log in the cache (a counter and one key per visit), which the job
`crm.store_visits` reads from where it stopped: every visit idle for `IDLE` becomes one `ActivityKind.STORE_VISIT`
entry on the timeline of the organization the person acts for, with the source key `store_visit:{user}:{start}`,
so a visit is written once however often the job runs. Visits still going are looked at again at the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import empty

from autosales.catalog.models import Product
from autosales.core import clock
from autosales.crm.models import Activity, ActivityKind, Contact
from autosales.customers.models import Membership, Organization, User

log = logging.getLogger(__name__)

IDLE = dt.timedelta(minutes=30)
# How long the cache keeps a visit and its log entry: the job runs every few minutes; a cache that lost them
# loses a visit, never a page.
KEEP_SECONDS = 2 * 24 * 3600
MAX_PRODUCTS = 50
MAX_SEARCHES = 10
SHOWN_IN_SUBJECT = 3  # product names in the entry's subject; all of them are in its body
MAX_LOG_READ = 2000  # log entries a run reads; the rest wait for the next run

PREFIX = "crm:visit"
SEQUENCE = f"{PREFIX}:log:seq"
READ_UP_TO = f"{PREFIX}:log:read"
GAP = f"{PREFIX}:log:gap"
WAITING = f"{PREFIX}:waiting"


def _current_key(user_id: int) -> str:
    return f"{PREFIX}:{user_id}"


def _ended_key(user_id: int, start: int) -> str:
    return f"{PREFIX}:{user_id}:{start}"


def _log_key(n: int) -> str:
    return f"{PREFIX}:log:{n}"


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


# --- recording (in the request; cache only) ---


def _signed_in_customer(request) -> User | None:
    """The shopper, only when the page has loaded them already (a page that never looked at the user costs no
    query here either); None for guests and staff."""
    lazy = getattr(request, "user", None)
    if lazy is None or getattr(lazy, "_wrapped", None) is empty:
        return None
    user = getattr(lazy, "_wrapped", lazy)
    if not getattr(user, "is_authenticated", False) or user.is_staff:
        return None
    return user


def _is_store_page(request, response) -> bool:
    match = getattr(request, "resolver_match", None)
    return (
        request.method == "GET"
        and response.status_code == 200
        and match is not None
        and match.namespace == "storefront"
        and response.get("Content-Type", "").startswith("text/html")
    )


def _log_visit(user_id: int, start: int) -> None:
    """Append (user, start) to the log. `incr` is atomic on Redis; where it is not (files), two writers may draw
    the same number and the second `add` fails: it draws again."""
    cache.add(SEQUENCE, 0, timeout=None)
    for _ in range(10):
        n = cache.incr(SEQUENCE)
        if cache.add(_log_key(n), [user_id, start], timeout=KEEP_SECONDS):
            return


def visit_record(*, user_id: int, organization_id: int | None, at: dt.datetime, product: str = "", search: str = ""):
    """Count one page of a visit of `user_id` at `at` (a product page: its slug; a search: its words)."""
    now = _epoch(at)
    key = _current_key(user_id)
    visit = cache.get(key)
    if visit is not None and now - visit["last"] >= IDLE.total_seconds():
        # The visit before is over: keep it for the job under its own key, and start another.
        cache.set(_ended_key(user_id, visit["start"]), visit, timeout=KEEP_SECONDS)
        visit = None
    if visit is None:
        visit = {"start": now, "last": now, "pages": 0, "products": [], "searches": [], "organization": None}
        _log_visit(user_id, now)
    visit["last"] = max(visit["last"], now)
    visit["pages"] += 1
    visit["organization"] = organization_id
    if product and product not in visit["products"] and len(visit["products"]) < MAX_PRODUCTS:
        visit["products"].append(product)
    if search and search not in visit["searches"] and len(visit["searches"]) < MAX_SEARCHES:
        visit["searches"].append(search)
    cache.set(key, visit, timeout=KEEP_SECONDS)


def _visit_record_quietly(**page) -> None:
    try:
        visit_record(**page)
    except Exception:  # a cache that is down never breaks a page
        log.warning("store visit not recorded", exc_info=True)


class StoreVisitMiddleware:
    """Records the store pages signed-in customers view into their visit (cache only; never a database query),
    once the page has been sent: the shopper does not wait for the cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(settings, "CRM_STORE_VISITS", True) or not _is_store_page(request, response):
            return response
        user = _signed_in_customer(request)
        if user is None:
            return response
        match = request.resolver_match
        page = {
            "user_id": user.pk,
            "organization_id": user.current_organization_id,
            "at": clock.now(),
            "product": match.kwargs.get("slug", "") if match.url_name == "product" else "",
            "search": " ".join(request.GET.get("q", "").split())[:100] if match.url_name == "search" else "",
        }
        # Run by the response's close(), which the WSGI server calls after the page's last byte is sent (and
        # Django's test client as it returns the response).
        response._resource_closers.append(lambda: _visit_record_quietly(**page))
        return response


# --- closing (the job) ---


def _new_log_entries() -> tuple[list[tuple[int, int]], int, int]:
    """The visits logged since the last run, and the log's positions (read from, read up to). Stops at a missing
    entry (a writer between drawing its number and writing its entry) and skips it when still missing next run."""
    read_up_to = cache.get(READ_UP_TO, 0)
    last = min(cache.get(SEQUENCE, 0), read_up_to + MAX_LOG_READ)
    if last <= read_up_to:
        return [], read_up_to, read_up_to
    found = cache.get_many([_log_key(n) for n in range(read_up_to + 1, last + 1)])
    entries = []
    position = read_up_to
    for n in range(read_up_to + 1, last + 1):
        entry = found.get(_log_key(n))
        if entry is None:
            if cache.get(GAP) != n:
                cache.set(GAP, n, timeout=KEEP_SECONDS)
                break
        else:
            entries.append((int(entry[0]), int(entry[1])))
        position = n
    return entries, read_up_to, position


def _visits_of(candidates: list[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    keys = {}
    for user_id, start in candidates:
        keys[_ended_key(user_id, start)] = (user_id, start)
        keys[_current_key(user_id)] = None
    found = cache.get_many(list(keys))
    visits = {}
    for user_id, start in candidates:
        visit = found.get(_ended_key(user_id, start))
        current = found.get(_current_key(user_id))
        if visit is None and current is not None and current["start"] == start:
            visit = current
        if visit is not None:
            visits[(user_id, start)] = visit
    return visits


def _organizations(visits: dict[tuple[int, int], dict]) -> dict[tuple[int, int], int]:
    """Each visit's organization: the one the person acted for, if still a member, else the one joined last."""
    user_ids = {user_id for user_id, _ in visits}
    memberships: dict[int, list[int]] = {}
    for user_id, organization_id in (
        Membership.objects.filter(user_id__in=user_ids)
        .order_by("-created_at", "-pk")
        .values_list("user_id", "organization_id")
    ):
        memberships.setdefault(user_id, []).append(organization_id)
    result = {}
    for (user_id, start), visit in visits.items():
        mine = memberships.get(user_id, [])
        if visit.get("organization") in mine:
            result[(user_id, start)] = visit["organization"]
        elif mine:
            result[(user_id, start)] = mine[0]
    return result


def _local_times(start: dt.datetime, end: dt.datetime, zone: str) -> str:
    tz = ZoneInfo(zone)
    return f"{start.astimezone(tz):%H:%M}–{end.astimezone(tz):%H:%M}"


def _entries(visits: dict[tuple[int, int], dict], organizations: dict[tuple[int, int], int]) -> list[Activity]:
    user_ids = {user_id for user_id, _ in organizations}
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids).only("pk", "username", "first_name", "last_name")}
    contacts = {
        (c.user_id, c.organization_id): c
        for c in Contact.objects.filter(user_id__in=user_ids).only("pk", "name", "user_id", "organization_id")
    }
    slugs = {slug for key in organizations for slug in visits[key]["products"]}
    products = dict(Product.objects.filter(slug__in=slugs).values_list("slug", "name"))
    names = {
        o.pk: o for o in Organization.objects.filter(pk__in=set(organizations.values())).only("pk", "name", "timezone")
    }
    activities = []
    for (user_id, start), organization_id in organizations.items():
        visit, user = visits[(user_id, start)], users.get(user_id)
        if user is None:
            continue
        contact = contacts.get((user_id, organization_id))
        person = contact.name if contact else (user.get_full_name() or user.username)
        began = dt.datetime.fromtimestamp(visit["start"], tz=dt.UTC)
        ended = dt.datetime.fromtimestamp(visit["last"], tz=dt.UTC)
        organization = names.get(organization_id)
        if organization is None:
            continue
        zone = organization.local_time_zone
        viewed = [products.get(slug, slug) for slug in visit["products"]]
        what = f"{visit['pages']} page{'s' if visit['pages'] != 1 else ''}"
        if viewed:
            shown = ", ".join(viewed[:SHOWN_IN_SUBJECT]) + (", …" if len(viewed) > SHOWN_IN_SUBJECT else "")
            what += f", {len(viewed)} product{'s' if len(viewed) != 1 else ''}: {shown}"
        times = _local_times(began, ended, zone)
        subject = f"{person} ({organization.name}) viewed {what}, {times}"
        body = f"From {times} ({zone})."
        if viewed:
            body += " Products: " + ", ".join(viewed) + "."
        if visit["searches"]:
            body += " Searched for: " + ", ".join(f"“{s}”" for s in visit["searches"]) + "."
        activities.append(
            Activity(
                organization_id=organization_id,
                contact_id=contact.pk if contact else None,
                at=ended,
                kind=ActivityKind.STORE_VISIT,
                subject=subject if len(subject) <= 300 else subject[:299] + "…",
                body=body,
                data={
                    "user": user_id,
                    "started": began.isoformat(),
                    "ended": ended.isoformat(),
                    "pages": visit["pages"],
                    "products": visit["products"],
                    "searches": visit["searches"],
                },
                source_key=f"store_visit:{user_id}:{visit['start']}",
            )
        )
    return activities


def store_visits_close(*, now: dt.datetime | None = None) -> int:
    """Write every visit idle for `IDLE` as one timeline entry (once: its source key); returns how many were new."""
    now = now or clock.now()
    new, read_from, read_up_to = _new_log_entries()
    candidates = list(dict.fromkeys([tuple(c) for c in cache.get(WAITING, [])] + new))
    if read_up_to > read_from:
        # The visits just read wait in WAITING before the log forgets them: a run that fails later loses none.
        cache.set(WAITING, [list(c) for c in candidates], timeout=KEEP_SECONDS)
        cache.set(READ_UP_TO, read_up_to, timeout=None)
        cache.delete_many([_log_key(n) for n in range(read_from + 1, read_up_to + 1)])
    if not candidates:
        return 0
    visits = _visits_of(candidates)  # a visit the cache no longer has is gone
    over = {key: v for key, v in visits.items() if _epoch(now) - v["last"] >= IDLE.total_seconds()}
    still_going = [list(key) for key in visits if key not in over]
    added = 0
    if over:
        activities = _entries(over, _organizations(over))
        keys = [a.source_key for a in activities]
        existing = set(Activity.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
        new = [a for a in activities if a.source_key not in existing]
        Activity.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent run's entries: dropped by the key
        added = len(new)
        cache.delete_many([_ended_key(user_id, start) for user_id, start in over])
    cache.set(WAITING, still_going, timeout=KEEP_SECONDS)
    return added
