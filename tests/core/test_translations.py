"""Every text marked for translation in the customer's pages and emails has its Spanish: the catalog has no
untranslated or fuzzy entry, and each message of those templates is in it (a template changed without running
makemessages fails here, not in front of a Spanish customer)."""

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.utils import translation
from django.utils.translation.template import templatize

import autosales

SOURCE = Path(autosales.__file__).parent
CATALOG = SOURCE / "locale" / "es" / "LC_MESSAGES" / "django.po"
# The customer's pages and emails (the back office, the CRM and the API stay English).
CUSTOMER_TEMPLATES = [
    "storefront/templates/storefront",
    "billing/templates",
    "recurring/templates",
    "orders/templates",
    "fulfillment/templates/emails/fulfillment/shipped.html",
    "fulfillment/templates/emails/fulfillment/shipped.txt",
]
GETTEXT_FUNCTIONS = {"gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}


def _catalog():
    with CATALOG.open("rb") as po:
        return read_po(po, locale="es")


def _template_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every {% translate %} and {% blocktranslate %} in the customer's templates."""
    found = set()
    for root in CUSTOMER_TEMPLATES:
        path = SOURCE / root
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in (".html", ".txt"))
        for template in files:
            # Django's own conversion (what makemessages hands to xgettext), unindented for Python's tokenizer.
            code = templatize(template.read_text(), origin=str(template))
            for _line, function, message, _comments in extract_python(
                io.BytesIO("\n".join(line.lstrip() for line in code.splitlines()).encode()),
                list(GETTEXT_FUNCTIONS),
                [],
                {},
            ):
                if function in ("pgettext", "npgettext"):
                    found.add((message[0], message[1]))
                else:
                    found.add((None, message[0] if isinstance(message, tuple) else message))
    return found


def test_the_spanish_catalog_has_no_untranslated_or_fuzzy_entry():
    catalog = _catalog()

    missing = [
        message.id
        for message in catalog
        if message.id
        and (message.fuzzy or not all(message.string if isinstance(message.string, tuple) else [message.string]))
    ]

    assert missing == []


def test_every_message_of_the_customers_pages_and_emails_is_translated():
    catalog = _catalog()
    messages = _template_messages()
    assert len(messages) > 300  # the templates were found and read

    untranslated = sorted(
        (context or "", msgid)
        for context, msgid in messages
        if (entry := catalog.get(msgid, context=context)) is None
        or not entry.string
        or (isinstance(entry.string, tuple) and not all(entry.string))
    )

    assert untranslated == []


@pytest.mark.parametrize(
    ("english", "spanish"),
    [("Order history", "Historial de pedidos"), ("Standing orders", "Pedidos periódicos"), ("Invoices", "Facturas")],
)
def test_the_compiled_catalog_is_the_one_django_reads(english, spanish):
    # The .mo shipped beside the .po: an edited .po without compilemessages would leave it behind.
    with translation.override("es"):
        assert translation.gettext(english) == spanish
