from autosales.catalog.models import Product


def product_reindex(*, product: Product) -> None:
    """Rebuild the product's search document from its name, brand, SKUs, attributes and description."""
    variants = list(product.variants.all())
    parts = [product.name, product.brand]
    for variant in variants:
        parts.append(variant.sku)
        parts.append(variant.name)
        parts.extend(str(v) for v in variant.attributes.values())
    parts.append(product.description)
    document = " ".join(p for p in parts if p)
    if document != product.search_document:
        product.search_document = document
        product.save(update_fields=["search_document"])
