"""Fixtures for the Stripe tests: a real localstripe server on a free loopback port, talked to by the real SDK.

Import the fixtures into a test module: `from tests.payments.stripe_fixtures import localstripe_fixture,
localstripe_server_fixture`; tests then ask for `localstripe` (or `localstripe_server`).
The server is started once per test session and wiped before each test.
"""

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

SECRET_KEY = "sk_test_autosales_localstripe"
PUBLISHABLE_KEY = "pk_test_autosales_localstripe"
WEBHOOK_SECRET = "whsec_autosales_localstripe_test_secret"

_SERVER_SCRIPT = Path(__file__).with_name("localstripe_server.py")
_START_TIMEOUT_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, data: dict | None = None, *, auth: bool = False) -> dict:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data or {}, doseq=True).encode(), method="POST")
    if auth:
        request.add_header("Authorization", f"Bearer {SECRET_KEY}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def _get(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@dataclass
class LocalStripe:
    """A running localstripe and the few harness controls the tests need."""

    url: str

    def reset(self) -> None:
        _post(f"{self.url}/_config/test/reset")

    def drop_responses(self, count: int) -> None:
        """The next `count` API responses are computed but never delivered: a timeout seen from the client."""
        _post(f"{self.url}/_config/test/drop_responses", {"count": count})

    def charges(self) -> list[dict]:
        return _get(f"{self.url}/v1/charges?limit=100")["data"]

    def refunds(self) -> list[dict]:
        return _get(f"{self.url}/v1/refunds?limit=100")["data"]

    def events(self, type_: str | None = None) -> list[dict]:
        query = "limit=100" + (f"&type={type_}" if type_ else "")
        return _get(f"{self.url}/v1/events?{query}")["data"]

    def payment_method(self, card_number: str) -> str:
        """A PaymentMethod id for a raw test card number, as Stripe.js would hand the page one."""
        created = _post(
            f"{self.url}/v1/payment_methods",
            {
                "type": "card",
                "card[number]": card_number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
            auth=True,
        )
        return created["id"]

    def webhook_register(self, *, url: str, secret: str = WEBHOOK_SECRET) -> None:
        """Make localstripe deliver its events, signed with `secret`, to `url` (as a Stripe webhook endpoint)."""
        _post(f"{self.url}/_config/webhooks/autosales", {"url": url, "secret": secret})


def _wait_until_up(process: subprocess.Popen, url: str, log) -> str | None:
    """None when the server answers; else why it did not."""
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            return f"localstripe exited with code {process.returncode}: {log.read()[-2000:]}"
        try:
            _get(f"{url}/v1/balance")
            return None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    return f"localstripe did not answer on {url} within {_START_TIMEOUT_SECONDS}s"


@pytest.fixture(scope="session", name="localstripe_server")
def localstripe_server_fixture():
    try:
        import localstripe  # noqa: F401  (only to give a clear skip reason when it is missing)
    except ImportError:
        pytest.skip("localstripe is not installed: pip install -e '.[test]'")
    port = _free_port()
    # A file, not a pipe: nobody reads the server's log while it runs, and a full pipe would stall it.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [sys.executable, str(_SERVER_SCRIPT), "--port", str(port)], stdout=log, stderr=log, text=True
        )
        url = f"http://127.0.0.1:{port}"
        problem = _wait_until_up(process, url, log)
        if problem:
            process.kill()
            process.wait()
            pytest.skip(f"could not start localstripe: {problem}")
        yield LocalStripe(url=url)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(name="localstripe")
def localstripe_fixture(localstripe_server, settings) -> LocalStripe:
    """A wiped localstripe, and the product configured to use it as its Stripe."""
    localstripe_server.reset()
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server.url
    return localstripe_server
