"""The language a request is answered in, where LocaleMiddleware's choice (cookie, Accept-Language) does not apply.

The store and customer emails are translated; the back office and the JSON API are not. Status labels, presenters
and shared templates (standing-order pages) are marked for translation, so a staff member whose browser asks for
Spanish would otherwise get Spanish words in English pages, and an integrator Spanish `status_label`s."""

from django.http import HttpRequest, HttpResponse
from django.utils import translation

ENGLISH_ONLY_PREFIXES = ("/backoffice/", "/api/")
ENGLISH = "en"


class EnglishOnlyPathsMiddleware:
    """After LocaleMiddleware: the back office and the API are answered in English whatever the visitor asks for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(ENGLISH_ONLY_PREFIXES):
            translation.activate(ENGLISH)
            request.LANGUAGE_CODE = ENGLISH
        return self.get_response(request)
