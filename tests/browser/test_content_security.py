"""The store and the API docs work under the Content-Security-Policy: the browser reports no violation."""

from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tests.factories import make_product

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def _watch(page) -> list[str]:
    """Collects CSP violations: the page's own events and the browser's console messages about the policy."""
    console = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None
    )
    return console


def _violations(page, console: list[str]) -> list[str]:
    return console + page.evaluate("window.__cspViolations")


def test_the_store_records_no_csp_violation(page):
    # given a product
    make_product(slug="a19", name="A19 LED")
    console = _watch(page)

    # when a shopper browses the store and puts the product in the cart
    page.goto("/")
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--primary')").strip()
    page.goto("/p/a19/")
    page.get_by_role("button", name="Add to cart").first.click()
    expect(page.locator(".cart-link")).to_contain_text("Cart (1)")

    # then the browser refused nothing
    assert _violations(page, console) == []


def test_the_api_docs_record_no_csp_violation(page):
    # given a catalog
    make_product(slug="a19", name="A19 LED")
    console = _watch(page)

    # when a developer opens the API docs and Swagger UI has rendered the operations
    page.goto("/api/v1/docs")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/products/{slug}")).to_be_visible(
        timeout=TIMEOUT_MS  # a bound for the large script, not a speed check
    )

    # then the browser refused nothing
    assert _violations(page, console) == []
