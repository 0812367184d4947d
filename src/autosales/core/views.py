"""Views every deployment needs, outside the store and the back office."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """`GET /healthz`: the web process answers. No database, no session: a load balancer's health check, and
    the benchmarks' trivial view (what HTTP and Django cost with no work behind them)."""
    return HttpResponse("ok\n", content_type="text/plain")
