"""The load process of a benchmark: HTTP requests from N concurrent clients, latencies per request.

Reads one JSON object on standard input:
    {"url": "http://127.0.0.1:PORT", "clients": 16, "count": 400, "seconds": 60,
     "requests": [{"method": "POST", "path": "/api/v1/checkout", "headers": {...}, "body": {...}}, ...]}
Request i is `requests[i % len(requests)]`; every `{uuid}` in its strings is a fresh UUID (idempotency keys).
A 2xx answer counts as ok. Writes one JSON object on standard output: ok, failed, seconds, p50_ms, p95_ms,
p99_ms, first_error. It runs apart from the server so that the server's processes and the load do not share
an interpreter; it only ever connects to the URL it is given (loopback in every benchmark).

Each request goes on a connection of its own, as the TLS proxy of docs/deployment.md (nginx's `proxy_pass`)
forwards requests to gunicorn: a client's keep-alive connection ends at the proxy, so which gunicorn worker
serves a request is decided per request, never pinned per client.
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit


def _fill(value):
    if isinstance(value, str):
        return value.replace("{uuid}", str(uuid.uuid4())) if "{uuid}" in value else value
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    return value


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def main() -> None:
    spec = json.load(sys.stdin)
    target = urlsplit(spec["url"])
    clients = int(spec["clients"])
    count = int(spec["count"])
    deadline_after = float(spec.get("seconds", 60))
    requests = spec["requests"]
    numbers = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    outcome = {"ok": 0, "failed": 0, "first_error": ""}
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        barrier.wait()
        while True:
            with lock:
                n = next(numbers)
            if n >= count or time.monotonic() > deadline[0]:
                break
            template = _fill(requests[n % len(requests)])
            body = template.get("body")
            headers = dict(template.get("headers") or {})
            if body is not None:
                body = json.dumps(body)
                headers.setdefault("Content-Type", "application/json")
            started = time.perf_counter()
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            try:
                conn.request(template.get("method", "GET"), template["path"], body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status, payload = 0, repr(exc).encode()
            finally:
                conn.close()
            elapsed = time.perf_counter() - started
            with lock:
                if 200 <= status < 300:
                    outcome["ok"] += 1
                    latencies.append(elapsed)
                else:
                    outcome["failed"] += 1
                    if not outcome["first_error"]:
                        outcome["first_error"] = f"HTTP {status} {payload[:300]!r}"

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + deadline_after
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    json.dump(
        {
            "clients": clients,
            "ok": outcome["ok"],
            "failed": outcome["failed"],
            "seconds": seconds,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p95_ms": percentile(latencies, 0.95) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "first_error": outcome["first_error"],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
