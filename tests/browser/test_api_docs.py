"""The interactive API docs work in a real browser, from the app's own files."""

from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tests.factories import make_product


def test_the_docs_page_lists_the_operations_and_runs_one(page):
    # given a catalog
    make_product(slug="a19", name="A19 LED")
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    # when a developer opens the API docs
    page.goto("/api/v1/docs")
    # then Swagger UI has loaded the document and lists the operations
    products = page.locator(".opblock-summary-path", has_text="/api/v1/products/{slug}")
    expect(products).to_be_visible(timeout=TIMEOUT_MS)  # a bound for the large script, not a speed check
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tokens").first).to_be_visible()
    assert failed == []
    # and trying the product detail out returns the product
    products.click()
    page.get_by_role("button", name="Try it out").click()
    page.locator("input[placeholder='slug']").fill("a19")
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200", timeout=TIMEOUT_MS
    )
    expect(page.locator(".live-responses-table tbody .microlight").first).to_contain_text("A19 LED")
