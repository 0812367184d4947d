"""`autosales serve` behind a TLS proxy: X-Forwarded-Proto is believed from TRUSTED_PROXIES only.

A real waitress server on loopback; the test plays the proxy (it connects from 127.0.0.1)."""

import http.client
import re
import signal
import subprocess
from urllib.parse import urlsplit

import pytest

from tests.jobs.conftest import BIN

pytestmark = pytest.mark.django_db(transaction=True)


def start_serve(env):
    process = subprocess.Popen(
        [str(BIN / "autosales"), "serve", "--port", "0", "--no-jobs"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        found = re.search(r"Serving on (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return process, urlsplit(found.group(1)).port
    process.wait(30)
    pytest.fail("serve did not start:\n" + "".join(lines))


def get(port: int, path: str, headers: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": "shop.example.com", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture
def https_env(child_env):
    child_env.update(HTTPS="1", DEBUG="0", ALLOWED_HOSTS="shop.example.com", TRUSTED_PROXIES="")
    return child_env


def serve(env):
    process, port = start_serve(env)
    try:
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


def test_behind_a_trusted_proxy_an_https_request_is_served_not_redirected(https_env):
    # given the proxy's address configured
    https_env["TRUSTED_PROXIES"] = "10.9.8.7,127.0.0.1"
    for port in serve(https_env):
        # when the proxy forwards a request that came in over https
        response = get(port, "/c/", {"X-Forwarded-Proto": "https"})
        # then the page is served, as over https
        assert response.status == 200
        assert "max-age=31536000" in response.getheader("Strict-Transport-Security", "")
        # and a request that came in over plain http is sent to https
        plain = get(port, "/c/", {"X-Forwarded-Proto": "http"})
        assert plain.status == 301
        assert plain.getheader("Location") == "https://shop.example.com/c/"


def test_without_a_trusted_proxy_the_header_is_ignored(https_env):
    for port in serve(https_env):
        # when anyone claims the request came over https
        response = get(port, "/c/", {"X-Forwarded-Proto": "https"})
        # then it is not believed: the answer is the redirect to https
        assert response.status == 301
        assert response.getheader("Location") == "https://shop.example.com/c/"


def test_a_proxy_not_in_the_list_is_not_believed(https_env):
    https_env["TRUSTED_PROXIES"] = "10.9.8.7"
    for port in serve(https_env):
        assert get(port, "/c/", {"X-Forwarded-Proto": "https"}).status == 301
