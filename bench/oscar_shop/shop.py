"""Builds the reference shop's data and counts one journey's SQL statements; runs in Oscar's virtualenv.

Reads one JSON object on standard input: {"products": 500, "shoppers": 8, "words": [...], "steps": [...]}.
Migrates the database of the settings (see settings.py), creates a catalogue like autosales' in the same run
(the same number of products, one category, one partner with a million units of each in stock at 3.99),
and one signed-in shopper per client plus one for counting, each with a shipping address in its address book.
Then walks the journey twice in-process for the counting shopper (the first warms the caches, as a running
server's are) and counts the SQL statements of each request of the second. Writes one JSON object:
{"shoppers": [{"cookies": {...}, "vars": {...}}, ...], "counts": [...]}.
"""

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscar_shop.settings")


def main() -> None:
    spec = json.load(sys.stdin)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from journey_runner import DjangoClientTransport, count_statements
    from oscar.apps.catalogue.categories import create_from_breadcrumbs
    from oscar.core.loading import get_model

    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    product_class_model = get_model("catalogue", "ProductClass")
    product_model = get_model("catalogue", "Product")
    product_category_model = get_model("catalogue", "ProductCategory")
    partner_model = get_model("partner", "Partner")
    stock_record_model = get_model("partner", "StockRecord")
    country_model = get_model("address", "Country")
    user_address_model = get_model("address", "UserAddress")

    bulbs = product_class_model.objects.create(name="Bulb", requires_shipping=True, track_stock=True)
    partner = partner_model.objects.create(name="Bench warehouse")
    category = create_from_breadcrumbs("Bench bulbs")
    words = spec["words"]
    products = []
    for i in range(int(spec["products"])):
        product = product_model.objects.create(
            product_class=bulbs, structure="standalone", title=f"Bench bulb {i} {words[i % len(words)]}"
        )
        product_category_model.objects.create(product=product, category=category)
        stock_record_model.objects.create(
            product=product,
            partner=partner,
            partner_sku=f"BENCH-{i}",
            price=Decimal("3.99"),
            price_currency=settings.OSCAR_DEFAULT_CURRENCY,
            num_in_stock=1_000_000,
        )
        products.append(product)
    united_states = country_model.objects.create(
        iso_3166_1_a2="US",
        iso_3166_1_a3="USA",
        iso_3166_1_numeric="840",
        printable_name="United States",
        name="United States of America",
        is_shipping_country=True,
    )

    def shopper(n: int):
        user = get_user_model().objects.create_user(username=f"bench-{n}", email=f"bench{n}@example.com", password=None)
        address = user_address_model.objects.create(
            user=user,
            first_name="Dock",
            last_name="Bench",
            line1="1 Bench Road",
            line4="Springfield",
            state="IL",
            postcode="62701",
            country=united_states,
            is_default_for_shipping=True,
        )
        product = products[(n * 7) % len(products)]
        word = product.title.rsplit(" ", 1)[1]
        return user, {"word": word, "product": product.get_absolute_url(), "pk": product.pk, "address": address.pk}

    shoppers = []
    for n in range(int(spec["shoppers"])):
        user, shopper_vars = shopper(n)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        shoppers.append(
            {
                "cookies": {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value},
                "vars": shopper_vars,
            }
        )
    counted, counted_vars = shopper(len(shoppers))
    transport = DjangoClientTransport(counted)
    count_statements(transport, spec["steps"], counted_vars)
    counts = count_statements(transport, spec["steps"], counted_vars)
    json.dump({"shoppers": shoppers, "counts": counts}, sys.stdout)


if __name__ == "__main__":
    main()
