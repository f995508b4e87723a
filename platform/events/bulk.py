"""Bulk work: many read-model rows inserted at once (COPY on PostgreSQL, bulk_create elsewhere),
and the cyclic garbage collector held while a batch builds many short-lived objects.

Django 5.2's bulk_create sends PostgreSQL one array per column (INSERT ... SELECT * FROM
UNNEST(...)), and psycopg's client-side binding quotes those arrays element by element in
Python: about half the time of projecting a code-set import went there. COPY hands psycopg one
row at a time for its C row formatter instead. Projectors use this for their bulk inserts.
"""

import contextlib
import gc
from collections.abc import Iterable, Iterator

from django.db import connection, models
from psycopg.types.json import Jsonb


def _converter(field):
    if isinstance(field, models.JSONField):
        return Jsonb
    return None


def bulk_insert(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    """Insert unsaved instances (no auto primary keys set on them); the number inserted."""
    objects = list(objects)
    if not objects:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return len(objects)
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]
    converters = [(field.attname, _converter(field)) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for obj in objects:
            copy.write_row(
                [
                    convert(value) if convert and value is not None else value
                    for attname, convert in converters
                    for value in (getattr(obj, attname),)
                ]
            )
    return len(objects)


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector for one batch of bulk work (a projector batch, a load).

    A batch makes hundreds of thousands of dicts and lists; each time the allocations cross a
    threshold the collector walks them (and, now and then, everything the process holds): a
    fifth of a search projection's time, a tenth of a code-set import's. None of them is
    cyclic, so reference counting frees them; any cyclic garbage waits for the next collection
    after the batch.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
