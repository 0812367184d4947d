"""Hand-written queries for the few reads that run on nearly every request.

The signed-in user, the shopper's cart with their organization, the organization a user acts for, the stock of
the variants a page shows, the shopper's price lists: building their SQL with the ORM costs several times what the database takes to answer it. They are written
as SQL (tables and, for whole rows, column lists taken from the models: `columns`), always with parameters
(`placeholders` for a list), and whole rows become ordinary model instances here (`instance_from_row`),
converted exactly as the ORM converts them (money, JSON, timestamps on SQLite). Everything else uses the ORM.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Field, Model


def columns(model: type[Model], alias: str) -> str:
    """`alias."col1", alias."col2", ...`: every concrete column of `model`, in the order `instance_from_row` reads."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def placeholders(values) -> str:
    """`%s, %s, ...`, one per value: the parameters of an `IN (...)` list."""
    return ", ".join(["%s"] * len(values))


_converters: dict[tuple[str, Field], tuple] = {}


def field_value(field: Field, value):
    """A value read from a column of `field`'s kind (the column itself, or its MAX), as the ORM gives it."""
    key = (connection.vendor, field)
    found = _converters.get(key)
    if found is None:
        col = field.get_col(field.model._meta.db_table)
        found = _converters[key] = (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
    col, converters = found
    for converter in converters:
        value = converter(value, col, connection)
    return value


def instance_from_row(model: type[Model], row, start: int = 0) -> tuple[Model, int]:
    """The instance of `model` whose columns (as `columns` lists them) begin at `row[start]`, and the index
    just past them."""
    fields = model._meta.concrete_fields
    values = [field_value(field, row[start + i]) for i, field in enumerate(fields)]
    return model.from_db(connection.alias, None, values), start + len(fields)
