"""Page-number pagination for every list operation.

    @router.get("/things", response={200: Page[ThingOut], **error_responses(422)})
    def things_list(request, paging: Query[PageParams]):
        page = paginate(request=request, queryset=things_for(...), params=paging)
        return page.with_items([ThingOut.from_thing(t) for t in page.items])   # or just `return page`

The response is {"items": [...], "count": N, "page": 1, "page_size": 20, "next": url | null}; two queries
(the count and the page) whatever the row count. A page past the last one is a 422 naming `page`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import ValidationError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# No listing is this long; the cap keeps a silly page number from reaching the database.
MAX_PAGE = 100_000

T = TypeVar("T")


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, 1 to {MAX_PAGE_SIZE}."
    )


class Page(Schema, Generic[T]):
    items: list[T]
    count: int = Field(description="Items in all pages together.")
    page: int
    page_size: int
    next: str | None = Field(description="URL of the next page; null on the last page.")


@dataclasses.dataclass(frozen=True, slots=True)
class PageSlice:
    items: Sequence[Any]
    count: int
    page: int
    page_size: int
    next: str | None

    def with_items(self, items: Sequence[Any]) -> PageSlice:
        """The same page with its items replaced, e.g. by richer objects built for these rows only."""
        return dataclasses.replace(self, items=list(items))


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(*, request: HttpRequest, queryset: QuerySet, params: PageParams) -> PageSlice:
    """The requested page of `queryset` (which must be ordered) in two queries; 422 past the last page."""
    count = queryset.count()
    start = page_start(count=count, params=params)
    items = list(queryset[start : start + params.page_size])
    return page_of(request=request, items=items, count=count, params=params)


def page_start(*, count: int, params: PageParams) -> int:
    """Where the requested page starts among `count` items; a 422 naming `page` past the last page."""
    last_page = max(1, -(-count // params.page_size))
    if params.page > last_page:
        raise ValidationError(
            [
                {
                    "loc": ("query", "page"),
                    "type": "out_of_range",
                    "msg": f"Page {params.page} is past the last page ({last_page}).",
                }
            ]
        )
    return (params.page - 1) * params.page_size


def page_of(*, request: HttpRequest, items: Sequence[Any], count: int, params: PageParams) -> PageSlice:
    """The page of `items` (read by the caller, e.g. from a cached list of ids) among `count`, with its next link."""
    last_page = max(1, -(-count // params.page_size))
    next_url = _page_url(request, params.page + 1) if params.page < last_page else None
    return PageSlice(items=list(items), count=count, page=params.page, page_size=params.page_size, next=next_url)
