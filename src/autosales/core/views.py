"""Views every deployment needs, outside the store and the back office."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseServerError
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """`GET /healthz`: the web process answers. No database, no session: a load balancer's health check, and
    the benchmarks' trivial view (what HTTP and Django cost with no work behind them)."""
    return HttpResponse("ok\n", content_type="text/plain")


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, in the shop's brand. It reads only settings: the database or the session may be what failed."""
    html = loader.get_template("500.html").render({"shop": settings.SHOP})
    return HttpResponseServerError(html)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """`/favicon.ico`, which browsers ask for by themselves: the store's icon."""
    return HttpResponsePermanentRedirect(static("storefront/favicon.svg"))
