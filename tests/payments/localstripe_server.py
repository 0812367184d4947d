"""Runs localstripe (a stateful fake of the Stripe API) on a loopback port for the Stripe tests.

Started as a subprocess by `tests/payments/conftest.py`: `python localstripe_server.py --port N`.

What this adds around localstripe, all of it test harness (the product talks to it as to Stripe):
- it listens on 127.0.0.1 only and keeps its data in memory (localstripe itself binds every interface and
  pickles its store to a fixed file under /tmp on each write, which parallel runs would share);
- Stripe's documented idempotency (https://docs.stripe.com/api/idempotent_requests), which localstripe
  does not implement: a POST repeated with the same `Idempotency-Key` gets the first response back and
  creates nothing, the same key with different parameters is refused (400, `idempotency_error`), and a
  repeat that arrives while the first is still running gets 409;
- a way to simulate a network failure after the server did the work: `POST /_config/test/drop_responses` with
  `count=N` makes the next N API responses be computed but never delivered (the connection is cut), which
  is exactly a gateway timeout from the client's point of view;
- `POST /_config/test/reset` forgets everything (objects, idempotency keys, webhook endpoints, pending drops).
"""

import argparse
import json

from aiohttp import web
from localstripe import resources, server, webhooks

# Keep the store in memory only.
resources.Store.dump_to_disk = lambda self: None

_idempotent: dict[tuple[str, str], dict] = {}
_in_flight: set[tuple[str, str]] = set()
_drops = {"count": 0}


def _stripe_error(status: int, type_: str, message: str, code: str | None = None) -> web.Response:
    body = {"error": {"type": type_, "message": message}}
    if code:
        body["error"]["code"] = code
    return web.json_response(body, status=status)


async def _fingerprint(request: web.Request) -> str:
    body = await request.read()
    return f"{request.method} {request.path} {request.query_string} {body.decode('utf-8', 'replace')}"


@web.middleware
async def idempotency_middleware(request: web.Request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await _maybe_drop(request, await handler(request))
    slot = (request.headers.get("Authorization", ""), key)
    fingerprint = await _fingerprint(request)
    saved = _idempotent.get(slot)
    if saved is not None:
        if saved["fingerprint"] != fingerprint:
            return _stripe_error(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request.",
            )
        response = web.Response(body=saved["body"], status=saved["status"], content_type="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return await _maybe_drop(request, response)
    if slot in _in_flight:
        return _stripe_error(
            409,
            "invalid_request_error",
            "There is currently another in-progress request using this Idempotent Key.",
            "idempotency_key_in_use",
        )
    _in_flight.add(slot)
    try:
        response = await handler(request)
        if response.status < 500:
            _idempotent[slot] = {"fingerprint": fingerprint, "status": response.status, "body": response.body}
    finally:
        _in_flight.discard(slot)
    return await _maybe_drop(request, response)


async def _maybe_drop(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    if _drops["count"] > 0 and request.path.startswith("/v1/"):
        _drops["count"] -= 1
        # The work is done and stored; the client just never hears about it.
        request.transport.abort()
    return response


async def drop_responses(request: web.Request) -> web.Response:
    data = await request.post()
    _drops["count"] = int(data.get("count", "1"))
    return web.json_response({"count": _drops["count"]})


async def reset(request: web.Request) -> web.Response:
    resources.store.clear()
    webhooks._webhooks.clear()
    _idempotent.clear()
    _in_flight.clear()
    _drops["count"] = 0
    return web.json_response({"reset": True})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = server.app
    # Outermost, so replayed responses skip localstripe entirely (as Stripe's do).
    app.middlewares.insert(0, idempotency_middleware)
    app.router.add_post("/_config/test/drop_responses", drop_responses)
    app.router.add_post("/_config/test/reset", reset)
    print(json.dumps({"listening": f"http://127.0.0.1:{args.port}"}), flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
