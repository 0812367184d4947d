"""An email's context as the outbox keeps it: plain JSON that remembers what each value was, and back.

The business transaction writes the context; the delivery job renders the email from it later, outside
that transaction, so a broken template can never undo the business change. Model instances are kept as
references (label and primary key) and loaded again at delivery; amounts, money and times keep their
types so that template filters (`date`, money formatting) work as they would on the originals.
Dataclasses (a quote, its lines) become mappings of their fields, which templates read the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import uuid
from collections import defaultdict

from django.apps import apps
from django.db import models

from autosales.core.money import Money

MODEL = "$model"
DECIMAL = "$decimal"
MONEY = "$money"
DATETIME = "$datetime"
DATE = "$date"
TIME = "$time"


def context_dump(value):
    """`value` as JSON that `context_load` turns back into what templates need; anything unknown becomes its text."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, decimal.Decimal):
        return {DECIMAL: str(value)}
    if isinstance(value, Money):
        return {MONEY: [str(value.amount), value.currency]}
    if isinstance(value, dt.datetime):
        return {DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {DATE: value.isoformat()}
    if isinstance(value, dt.time):
        return {TIME: value.isoformat()}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return {MODEL: value._meta.label, "pk": value.pk}
    if isinstance(value, dict):
        return {str(k): context_dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [context_dump(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: context_dump(getattr(value, field.name)) for field in dataclasses.fields(value)}
    return str(value)


def _references(value, found: dict[str, set]) -> None:
    if isinstance(value, dict):
        if MODEL in value:
            found[value[MODEL]].add(value["pk"])
            return
        for item in value.values():
            _references(item, found)
    elif isinstance(value, list):
        for item in value:
            _references(item, found)


class MissingObject(LookupError):
    """A model instance the email refers to no longer exists."""


def _load(value, loaded: dict[tuple[str, str], models.Model]):
    if isinstance(value, list):
        return [_load(item, loaded) for item in value]
    if not isinstance(value, dict):
        return value
    if MODEL in value:
        try:
            return loaded[(value[MODEL], str(value["pk"]))]
        except KeyError:
            raise MissingObject(f"{value[MODEL]} {value['pk']} no longer exists") from None
    if len(value) == 1:
        (tag, raw), *_ = value.items()
        if tag == DECIMAL:
            return decimal.Decimal(raw)
        if tag == MONEY:
            return Money(decimal.Decimal(raw[0]), raw[1])
        if tag == DATETIME:
            return dt.datetime.fromisoformat(raw)
        if tag == DATE:
            return dt.date.fromisoformat(raw)
        if tag == TIME:
            return dt.time.fromisoformat(raw)
    return {key: _load(item, loaded) for key, item in value.items()}


def context_load(data: dict) -> dict:
    """The context `context_dump` kept, with its model instances loaded again (one query per model)."""
    return _load(data, references_load([data]))


def references_load(datas: list[dict]) -> dict[tuple[str, str], models.Model]:
    """The model instances several kept contexts refer to, by (label, pk): one query per model for them all."""
    found: dict[str, set] = defaultdict(set)
    for data in datas:
        _references(data, found)
    loaded = {}
    for label, pks in found.items():
        for pk, instance in apps.get_model(label)._default_manager.in_bulk(list(pks)).items():
            loaded[(label, str(pk))] = instance
    return loaded


def context_load_from(data: dict, *, loaded: dict[tuple[str, str], models.Model]) -> dict:
    """The context `context_dump` kept, with its model instances taken from `references_load`'s answer."""
    return _load(data, loaded)
