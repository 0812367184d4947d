"""Product pictures: checked and resized with Pillow, stored under MEDIA_ROOT (Django's default storage).

A picture comes from the admin (an upload) or a catalog import (a URL or a file path in the `image` column).
Whatever its size, the store shows a thumbnail at most settings.CATALOG_THUMBNAIL_SIZE pixels on its longer side
(WebP, turned upright by its EXIF orientation); the product page links the original. A product without a
picture shows the static placeholder.
"""

import io
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Max
from PIL import Image, ImageOps, UnidentifiedImageError

from autosales.catalog.errors import CatalogError
from autosales.catalog.models import Product, ProductImage
from autosales.core.cache_versions import CATALOG, versions_bump
from autosales.core.errors import DomainError

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
FETCH_TIMEOUT_SECONDS = 15
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded


def image_checked(data: bytes, *, field: str = "image") -> str:
    """The file extension for `data` when it is a picture Pillow reads (JPEG, PNG, WebP or GIF); else DomainError."""
    if len(data) > settings.CATALOG_IMAGE_MAX_BYTES:
        raise DomainError(
            CatalogError.IMAGE_INVALID,
            f"is {len(data):,} bytes; pictures can be at most {settings.CATALOG_IMAGE_MAX_BYTES:,}",
            field=field,
        )
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > MAX_PIXELS:
                raise DomainError(
                    CatalogError.IMAGE_INVALID, f"is {picture.width}x{picture.height} pixels: too large", field=field
                )
            kind = picture.format
            picture.verify()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DomainError(
            CatalogError.IMAGE_INVALID, f"is not a picture that can be read ({exc})", field=field
        ) from None
    if kind not in FORMATS:
        raise DomainError(CatalogError.IMAGE_INVALID, f"is a {kind} picture; use JPEG, PNG, WebP or GIF", field=field)
    return FORMATS[kind]


def thumbnail_of(data: bytes) -> bytes:
    """A WebP picture at most CATALOG_THUMBNAIL_SIZE pixels on its longer side, upright, transparency kept."""
    size = settings.CATALOG_THUMBNAIL_SIZE
    with Image.open(io.BytesIO(data)) as picture:
        picture = ImageOps.exif_transpose(picture)
        picture = picture.convert("RGBA" if picture.mode in ("RGBA", "LA", "P") else "RGB")
        picture.thumbnail((size, size))
        out = io.BytesIO()
        picture.save(out, "WEBP", quality=82)
    return out.getvalue()


def product_image_thumbnail(*, image: ProductImage) -> None:
    """The picture has a thumbnail made from its file (again, when the file was replaced)."""
    with image.image.open("rb") as file:
        data = file.read()
    stem = PurePosixPath(image.image.name).stem
    if image.thumbnail:
        image.thumbnail.delete(save=False)
    thumbnail = thumbnail_of(data)
    image.thumbnail.save(f"{stem}.webp", ContentFile(thumbnail), save=False)
    with Image.open(io.BytesIO(thumbnail)) as made:
        image.thumbnail_width, image.thumbnail_height = made.size
    image.save(update_fields=["thumbnail", "thumbnail_width", "thumbnail_height", "updated_at"])
    versions_bump(CATALOG)


def product_images_thumbnail(*, product: Product) -> int:
    """Every picture of the product that has no thumbnail gets one; returns how many were made."""
    missing = [image for image in product.images.all() if not image.thumbnail]
    for image in missing:
        product_image_thumbnail(image=image)
    return len(missing)


def product_image_add(
    *, product: Product, data: bytes, name: str, source: str = "", alt_text: str = ""
) -> ProductImage:
    """A checked picture is stored as the product's last, with its thumbnail; raises DomainError (field "image")."""
    extension = image_checked(data)
    position = (product.images.aggregate(last=Max("position"))["last"] or 0) + 1
    image = ProductImage(product=product, source=source[:500], alt_text=alt_text[:200], position=position)
    image.image.save(f"{PurePosixPath(name).stem or product.slug}.{extension}", ContentFile(data), save=False)
    image.save()
    product_image_thumbnail(image=image)
    return image


def image_fetch(source: str, *, root: Path | None, field: str = "image") -> bytes:
    """The bytes of a picture named by a URL (http or https) or by a path inside `root` (None: paths refused).

    Raises DomainError naming `field` with the reason: an unreachable URL, a missing file, a path outside `root`.
    """
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        request = urllib.request.Request(source, headers={"User-Agent": "autosales catalog import"})
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
                data = response.read(settings.CATALOG_IMAGE_MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise DomainError(
                CatalogError.IMAGE_UNREACHABLE, f"{source}: HTTP {exc.code} {exc.reason}", field=field
            ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DomainError(
                CatalogError.IMAGE_UNREACHABLE, f"{source}: could not be fetched ({reason})", field=field
            ) from None
        return data
    if scheme and len(scheme) > 1:  # "C:" on Windows is a path, "ftp:" is not
        raise DomainError(CatalogError.IMAGE_UNREACHABLE, f"{source}: use an http(s) URL or a file path", field=field)
    if root is None:
        raise DomainError(
            CatalogError.IMAGE_UNREACHABLE,
            f"{source}: file paths are read only by the command-line import (give a URL here)",
            field=field,
        )
    base = root.resolve()
    path = (base / source).resolve()
    if not path.is_relative_to(base):
        raise DomainError(CatalogError.IMAGE_UNREACHABLE, f"{source}: is outside the folder {base}", field=field)
    try:
        with path.open("rb") as file:
            return file.read(settings.CATALOG_IMAGE_MAX_BYTES + 1)
    except FileNotFoundError:
        raise DomainError(CatalogError.IMAGE_UNREACHABLE, f"{source}: no such file", field=field) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise DomainError(
            CatalogError.IMAGE_UNREACHABLE, f"{source}: cannot be read ({exc.strerror})", field=field
        ) from None
