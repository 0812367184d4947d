"""The Content-Security-Policy every response carries (django-csp reads it from the settings).

Scripts run only from this site's own files (the store, the back office, the admin, the API docs: django-ninja
serves Swagger UI from its static files, no CDN) and from inline scripts carrying the response's nonce
(`<script nonce="{{ request.csp_nonce }}">`); Stripe's card form is allowed only when Stripe takes the payments.
Inline styles stay allowed: the pages set the shop's colours inline and the back office previews HTML emails,
which are styled inline as emails must be.
"""

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

STRIPE_API = "https://api.stripe.com"
STRIPE_HOOKS = "https://hooks.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(*, stripe: bool, stripe_js_url: str, stripe_api_base: str) -> dict:
    """The CONTENT_SECURITY_POLICY setting; with `stripe`, what Stripe.js needs (script, its frames, its API)."""
    scripts, frames, connect = [], [], []
    if stripe:
        js = _origin(stripe_js_url)
        scripts = [js]
        frames = sorted({js, STRIPE_HOOKS})
        connect = sorted({js, _origin(stripe_api_base) if stripe_api_base else STRIPE_API})
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF, NONCE, *scripts],
            "style-src": [SELF, UNSAFE_INLINE],
            "img-src": [SELF, "data:"],
            "font-src": [SELF],
            "connect-src": [SELF, *connect],
            "frame-src": [SELF, *frames],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
        }
    }
