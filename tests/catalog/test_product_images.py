"""Product pictures: checked and resized with Pillow, uploaded in the admin or imported by URL or path, shown
on cards and product pages (a placeholder otherwise), served from MEDIA_ROOT."""

import http.server
import io
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from PIL import Image

from autosales.catalog.images import image_checked, product_image_add
from autosales.catalog.imports import ImportRejected, RowError, products_import
from autosales.catalog.models import Product, ProductImage
from autosales.core.errors import DomainError
from tests.factories import make_category, make_product, make_user

pytestmark = pytest.mark.django_db


def picture(size=(1200, 800), colour=(250, 200, 40), kind="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


@pytest.fixture
def picture_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving `tmp_path` (a catalog's picture host, on the loopback only)."""
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(*args, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def csv_of(*rows: str) -> bytes:
    return ("sku,product,category,price,image\n" + "\n".join(rows) + "\n").encode()


def test_a_picture_gets_a_thumbnail_under_media_root_at_most_the_configured_size():
    # given
    product = make_product(name="Globe")

    # when
    image = product_image_add(product=product, data=picture((1200, 800)), name="globe.png")

    # then
    thumb = Path(image.thumbnail.path)
    assert thumb.is_relative_to(Path(settings.MEDIA_ROOT)) and thumb.exists()
    with Image.open(thumb) as made:
        assert made.format == "WEBP"
        assert made.size == (400, 267) == (image.thumbnail_width, image.thumbnail_height)
    assert Path(image.image.path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"not a picture at all", "is not a picture that can be read"), (b"", "is not a picture that can be read")],
)
def test_something_that_is_not_a_picture_is_refused_naming_the_field(data, reason):
    with pytest.raises(DomainError) as refused:
        image_checked(data)
    assert refused.value.field == "image" and reason in refused.value.message


def test_cards_and_product_page_show_the_thumbnail_or_a_placeholder(client):
    # given one product with a picture, one without
    category = make_category(slug="globes")
    pictured = make_product(name="Pictured globe", category=category)
    make_product(name="Plain globe", category=category)
    image = product_image_add(product=pictured, data=picture(), name="g.png", alt_text="A round globe bulb")

    # when
    listing = client.get("/c/globes/").content.decode()
    page = client.get(reverse("storefront:product", args=[pictured.slug])).content.decode()

    # then
    assert f'src="{image.thumbnail.url}" alt="A round globe bulb"' in listing
    assert "storefront/placeholder.svg" in listing
    assert f'<a href="{image.image.url}"><img src="{image.thumbnail.url}"' in page
    # and the thumbnail is served from MEDIA_ROOT by the app
    served = client.get(image.thumbnail.url)
    assert served.status_code == 200 and b"".join(served.streaming_content)[:4] == b"RIFF"


def test_a_picture_uploaded_in_the_admin_gets_its_thumbnail(client):
    # given a staff member on the product's page in the admin
    client.force_login(make_user(username="boss", is_staff=True, is_superuser=True))
    product = make_product(name="Tube", variants=0)
    data = {
        "name": product.name,
        "slug": product.slug,
        "category": product.category_id,
        "brand": "",
        "description": "",
        "is_active": "on",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-image": SimpleUploadedFile("tube.jpg", picture(kind="JPEG"), content_type="image/jpeg"),
        "images-0-alt_text": "A tube",
        "images-0-position": "1",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
    }

    # when
    response = client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)

    # then
    assert response.status_code == 302, response.content.decode()[:3000]
    image = ProductImage.objects.get(product=product)
    assert image.thumbnail and image.thumbnail_width == 400 and image.alt_text == "A tube"


def test_a_file_that_is_not_a_picture_is_refused_by_the_admin_with_the_reason(client):
    client.force_login(make_user(username="boss", is_staff=True, is_superuser=True))
    product = make_product(name="Tube", variants=0)
    data = {
        "name": product.name,
        "slug": product.slug,
        "category": product.category_id,
        "is_active": "on",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-image": SimpleUploadedFile("tube.jpg", b"<html>", content_type="image/jpeg"),
        "images-0-position": "1",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)
    assert response.status_code == 200 and "Upload a valid image" in response.content.decode()
    assert not ProductImage.objects.exists()


def test_import_takes_pictures_by_url_once_per_product_and_not_again(picture_server):
    # given a picture host and a file whose two rows of one product name the same picture
    folder, base = picture_server
    (folder / "a19.png").write_bytes(picture())
    data = csv_of(
        f"A19-1,A19 bulb,Bulbs,3.99,{base}/a19.png",
        f"A19-4,A19 bulb,Bulbs,12.99,{base}/a19.png",
    )

    # when imported twice
    first = products_import(data=data)
    second = products_import(data=data)

    # then the product has the one picture, with its thumbnail
    product = Product.objects.get(slug="a19-bulb")
    [image] = product.images.all()
    assert image.source == f"{base}/a19.png" and image.thumbnail
    assert (first.images, second.images) == (1, 0)


def test_bad_pictures_are_row_errors_naming_the_line_and_the_column_and_nothing_is_written(picture_server):
    folder, base = picture_server
    (folder / "page.html").write_text("<html></html>")
    data = csv_of(
        f"A-1,Missing,Bulbs,1.00,{base}/nothing-here.png",
        f"B-1,Not a picture,Bulbs,1.00,{base}/page.html",
        "C-1,Off the machine,Bulbs,1.00,ftp://example.invalid/c.png",
        "D-1,A path,Bulbs,1.00,pictures/d.png",
    )
    with pytest.raises(ImportRejected) as rejected:
        products_import(data=data)
    errors = rejected.value.errors
    assert [(e.line, e.column) for e in errors] == [(2, "image"), (3, "image"), (4, "image"), (5, "image")]
    assert "HTTP 404" in errors[0].reason
    assert "is not a picture that can be read" in errors[1].reason
    assert "use an http(s) URL or a file path" in errors[2].reason
    assert "file paths are read only by the command-line import" in errors[3].reason
    assert not Product.objects.exists() and not ProductImage.objects.exists()


def test_skipping_invalid_rows_imports_the_others_with_their_pictures(picture_server):
    folder, base = picture_server
    (folder / "ok.png").write_bytes(picture())
    result = products_import(
        data=csv_of(f"A-1,Good,Bulbs,1.00,{base}/ok.png", f"B-1,Bad,Bulbs,1.00,{base}/gone.png"), skip_invalid=True
    )
    assert result.skipped == 1 and result.images == 1
    assert result.errors[0] == RowError(3, "image", result.errors[0].reason)
    assert list(Product.objects.values_list("name", flat=True)) == ["Good"]


def test_command_line_import_reads_picture_paths_beside_the_file_and_never_outside_it(tmp_path):
    # given a CSV with a picture in a folder beside it
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "par.jpg").write_bytes(picture(kind="JPEG"))
    good = tmp_path / "products.csv"
    good.write_bytes(csv_of("PAR-1,PAR lamp,Bulbs,9.00,pictures/par.jpg"))
    outside = tmp_path / "pictures" / "outside.csv"
    outside.write_bytes(csv_of("PAR-2,Other lamp,Bulbs,9.00,../../etc/passwd"))

    # when
    out = StringIO()
    call_command("catalog", "import", str(good), stdout=out, stderr=StringIO())
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("catalog", "import", str(outside), stdout=StringIO(), stderr=err)

    # then
    assert "1 pictures added" in out.getvalue()
    assert ProductImage.objects.get().source == "pictures/par.jpg"
    assert "line 2, column image: ../../etc/passwd: is outside the folder" in err.getvalue()
