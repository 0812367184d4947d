"""Import products and stock levels from CSV.

Every row is checked first, collecting each problem with its line, column and reason; only then are the
writes made, in one transaction and in batches. A file with invalid rows writes nothing unless the caller
asks to skip them. Rows are matched to the catalog by SKU (and stock rows by SKU and warehouse), so
importing a file twice changes nothing the second time.

Products file, one row per variant (SKU):
    sku, product, product_slug, category, category_slug, variant_name, brand, description, price, currency,
    weight_grams, min_quantity, pack_size, active, image, and `attr:<name>` for each attribute.
Only sku, product and category are required. A column left out of the file leaves that field as it is on
existing variants; an empty `attr:` cell removes that attribute; an empty price leaves the price as it is.
A product is active while any of its variants is active. min_quantity and pack_size (whole numbers from 1; empty
means 1) say how the variant is ordered: at least min_quantity units, in multiples of pack_size.

Stock file: sku, warehouse (its code), on_hand.
"""

from autosales.catalog.imports.products import products_import
from autosales.catalog.imports.rows import (
    ATTRIBUTE_PREFIX,
    PRODUCT_COLUMNS,
    STOCK_COLUMNS,
    ImportErrorCode,
    ImportRejected,
    ImportResult,
    RowError,
)
from autosales.catalog.imports.stock import stock_import

__all__ = [
    "ATTRIBUTE_PREFIX",
    "PRODUCT_COLUMNS",
    "STOCK_COLUMNS",
    "ImportErrorCode",
    "ImportRejected",
    "ImportResult",
    "RowError",
    "products_import",
    "stock_import",
]
