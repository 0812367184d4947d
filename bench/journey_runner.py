"""Walks a shopper's page journey as a browser would, and the load process of `bench/journey.py`.

A journey is a list of steps, each a list of requests sent in order:

    {"name": "add", "requests": [
        {"method": "POST", "path": "/cart/add/", "form": {"csrfmiddlewaretoken": "{csrf}", "sku": "{sku}"},
         "expect": 302, "to": "^/p/"},
        {"method": "GET", "path": "{location}"}]}

`{name}` in a path or a form value is the shopper's own value (`vars`), a value taken from an earlier page
(`extract`: a regular expression whose first group is kept), `{csrf}` (the CSRF token of the last form page,
as a browser posts the hidden input), or `{location}` (where the last redirect pointed, which the browser
follows next). A request answers `expect` (200 unless told; a redirect's target must match `to`); anything
else fails the journey. Forms are sent url-encoded with the page as Referer; cookies are kept per shopper.

As a load process it reads one JSON object on standard input:
    {"url": "http://127.0.0.1:PORT", "steps": [...], "shoppers": [{"cookies": {...}, "vars": {...}}, ...],
     "clients": 8, "journeys": 80, "seconds": 120}
Client i is shopper i (its own session and cart) and runs whole journeys, one after another, until `journeys`
have been started or `seconds` have passed. It writes one JSON object: ok, failed, seconds, journeys_per_s,
p50_s, p95_s, requests (per journey), step_p50_ms, first_error, and the raw durations (seconds per journey)
and step_ms (milliseconds per step) for combining runs. It only connects to the URL it is given
(loopback in every benchmark) and uses the standard library alone, so that it also runs in another project's
virtualenv.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import percentile

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class JourneyFailed(Exception):
    pass


class HttpTransport:
    """A cookie jar and one request at a time: one shopper's browser, seen from behind the TLS proxy of
    docs/deployment.md, which forwards each request to the web server on a connection of its own."""

    def __init__(self, url: str, cookies: dict[str, str] | None = None):
        self.target = urlsplit(url)
        self.cookies = dict(cookies or {})

    def send(self, method: str, path: str, form: dict | None, referer: str) -> tuple[int, str, str]:
        headers = {"Host": f"{self.target.hostname}:{self.target.port}", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if referer:
            headers["Referer"] = f"{self.target.scheme}://{self.target.netloc}{referer}"
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.getheader("Location", ""), payload.decode("utf-8", "replace")


def _fill(value: str, known: dict) -> str:
    def replace(match):
        name = match.group(1)
        if name not in known:
            raise JourneyFailed(f"no value for {{{name}}} (pages so far did not show it)")
        return str(known[name])

    return PLACEHOLDER.sub(replace, value)


def walk(transport, steps: list[dict], shopper_vars: dict, *, on_request=None) -> list[tuple[str, float]]:
    """One journey: (step name, seconds) for each step; raises JourneyFailed on an unexpected answer.
    `on_request(step, method, path, status)` is told of every request (the in-process counters use it)."""
    known = dict(shopper_vars)
    page = ""
    timings = []
    for step in steps:
        started = time.perf_counter()
        for request in step["requests"]:
            method = request.get("method", "GET")
            path = _fill(request["path"], known)
            form = {k: _fill(v, known) for k, v in request["form"].items()} if "form" in request else None
            status, location, body = transport.send(method, path, form, page)
            if on_request is not None:
                on_request(step["name"], method, path, status)
            expected = request.get("expect", 200)
            if status != expected:
                raise JourneyFailed(
                    f"{step['name']}: {method} {path} answered {status}, not {expected}: {body[:300]!r}"
                )
            if status in (301, 302, 303):
                target = urlsplit(location)
                known["location"] = target.path + (f"?{target.query}" if target.query else "")
                if request.get("to") and not re.search(request["to"], target.path):
                    raise JourneyFailed(f"{step['name']}: {method} {path} went to {location}, not {request['to']}")
            else:
                page = path
                token = CSRF_INPUT.search(body)
                if token:
                    known["csrf"] = token.group(1)
                for name, pattern in (request.get("extract") or {}).items():
                    found = re.search(pattern, body)
                    if not found:
                        raise JourneyFailed(f"{step['name']}: {path} does not show {name}")
                    known[name] = found.group(1)
        timings.append((step["name"], time.perf_counter() - started))
    return timings


class DjangoClientTransport:
    """The same journey in-process, through Django's test client with CSRF checks on (for counting)."""

    def __init__(self, user):
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        self.client.force_login(user)

    def send(self, method: str, path: str, form: dict | None, referer: str) -> tuple[int, str, str]:
        extra = {"HTTP_REFERER": f"http://127.0.0.1{referer}"} if referer else {}
        send = self.client.post if method == "POST" else self.client.get
        response = send(path, form or {}, **extra)
        return response.status_code, response.get("Location", ""), response.content.decode("utf-8", "replace")


def count_statements(transport, steps: list[dict], shopper_vars: dict) -> list[dict]:
    """Walks one journey in-process and counts the SQL statements of each request on the default database:
    [{"step", "method", "path", "status", "statements"}, ...]."""
    from django.db import connection

    counts: list[dict] = []
    current = [0]

    def statement(execute, sql, params, many, context):
        current[0] += 1
        return execute(sql, params, many, context)

    def told(step, method, path, status):
        counts.append({"step": step, "method": method, "path": path, "status": status, "statements": current[0]})
        current[0] = 0

    with connection.execute_wrapper(statement):
        walk(transport, steps, shopper_vars, on_request=told)
    return counts


def main() -> None:
    spec = json.load(sys.stdin)
    clients = int(spec["clients"])
    journeys = int(spec["journeys"])
    steps = spec["steps"]
    shoppers = spec["shoppers"]
    if len(shoppers) < clients:
        raise SystemExit(f"{clients} clients need {clients} shoppers, not {len(shoppers)}")
    numbers = itertools.count()
    lock = threading.Lock()
    durations: list[float] = []
    by_step: dict[str, list[float]] = {}
    requests_per_journey = [sum(len(step["requests"]) for step in steps)]
    outcome = {"ok": 0, "failed": 0, "first_error": ""}
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(shopper: dict) -> None:
        transport = HttpTransport(spec["url"], shopper.get("cookies"))
        barrier.wait()
        while True:
            with lock:
                n = next(numbers)
            if n >= journeys or time.monotonic() > deadline[0]:
                break
            started = time.perf_counter()
            try:
                timings = walk(transport, steps, shopper.get("vars", {}))
            except (JourneyFailed, OSError, http.client.HTTPException) as exc:
                with lock:
                    outcome["failed"] += 1
                    outcome["first_error"] = outcome["first_error"] or repr(exc)
                continue
            elapsed = time.perf_counter() - started
            with lock:
                outcome["ok"] += 1
                durations.append(elapsed)
                for name, seconds in timings:
                    by_step.setdefault(name, []).append(seconds)

    threads = [threading.Thread(target=client, args=(shoppers[i],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + float(spec.get("seconds", 120))
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    durations.sort()
    json.dump(
        {
            "clients": clients,
            "ok": outcome["ok"],
            "failed": outcome["failed"],
            "seconds": seconds,
            "journeys_per_s": outcome["ok"] / seconds if seconds else 0.0,
            "p50_s": percentile(durations, 0.50),
            "p95_s": percentile(durations, 0.95),
            "requests": requests_per_journey[0],
            "step_p50_ms": {name: percentile(sorted(v), 0.50) * 1000 for name, v in by_step.items()},
            "durations": durations,
            "step_ms": {name: [seconds * 1000 for seconds in v] for name, v in by_step.items()},
            "first_error": outcome["first_error"],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
