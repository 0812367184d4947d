"""Hand-written queries for the few reads that run on nearly every request.

The signed-in user, the shopper's cart with their organization, the organization a user acts for, the stock of
the variants a page shows, the shopper's price lists, the checkout's address: building their SQL with the ORM costs several times what the database takes to answer it. They are written
as SQL (tables and, for whole rows, column lists taken from the models: `columns`), always with parameters
(`placeholders` for a list), and whole rows become ordinary model instances here (`instance_from_row`),
converted exactly as the ORM converts them (money, JSON, timestamps on SQLite). Everything else uses the ORM.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model


def columns(model: type[Model], alias: str) -> str:
    """`alias."col1", alias."col2", ...`: every concrete column of `model`, in the order `instance_from_row` reads."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def placeholders(values) -> str:
    """`%s, %s, ...`, one per value: the parameters of an `IN (...)` list."""
    return ", ".join(["%s"] * len(values))


def _converters_of(db, field: Field) -> tuple | None:
    """(the column expression, its converters) for values of `field` read on `db`; None when they are used as read."""
    col = field.get_col(field.model._meta.db_table)
    converters = tuple(db.ops.get_db_converters(col) + col.get_db_converters(db))
    return (col, converters) if converters else None


# (vendor, field) and (vendor, model) -> what `_converters_of` says (for a model: per concrete field, in order).
_fields: dict[tuple[str, Field], tuple | None] = {}
_models: dict[tuple[str, type[Model]], tuple] = {}


def _converted(db, found: tuple | None, value):
    if found is not None:
        col, converters = found
        for converter in converters:
            value = converter(value, col, db)
    return value


def field_value(field: Field, value):
    """A value read from a column of `field`'s kind (the column itself, or its MAX), as the ORM gives it."""
    db = connections[DEFAULT_DB_ALIAS]
    key = (db.vendor, field)
    if key not in _fields:
        _fields[key] = _converters_of(db, field)
    return _converted(db, _fields[key], value)


def instance_from_row(model: type[Model], row, start: int = 0) -> tuple[Model, int]:
    """The instance of `model` whose columns (as `columns` lists them) begin at `row[start]`, and the index
    just past them."""
    db = connections[DEFAULT_DB_ALIAS]
    key = (db.vendor, model)
    per_field = _models.get(key)
    if per_field is None:
        per_field = _models[key] = tuple(_converters_of(db, field) for field in model._meta.concrete_fields)
    end = start + len(per_field)
    values = [_converted(db, found, value) for found, value in zip(per_field, row[start:end], strict=True)]
    return model.from_db(db.alias, None, values), end
