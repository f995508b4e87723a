"""Bulk work: many read-model rows inserted at once (COPY on PostgreSQL, bulk_create elsewhere),
and the cyclic garbage collector held while a batch builds many short-lived objects.

Django 5.2's bulk_create sends PostgreSQL one array per column (INSERT ... SELECT * FROM
UNNEST(...)), and psycopg's client-side binding quotes those arrays element by element in
Python: about half the time of projecting a code-set import went there. COPY hands psycopg one
row at a time for its C row formatter instead. Projectors use this for their bulk inserts.
"""

import contextlib
import gc
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from psycopg.types.json import Jsonb


def _json_dumps(value) -> bytes | str:
    """orjson for the COPY of JSON columns (a third of a codes projection went to json.dumps);
    what orjson refuses (integers beyond 64 bits, non-string keys) goes to json.dumps, so
    anything that was written before still is. PostgreSQL stores jsonb parsed: same values."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value)


def _converter(field):
    if isinstance(field, models.JSONField):
        return lambda value: Jsonb(value, _json_dumps)
    return None


def _fields(model: type[models.Model]) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]


def bulk_insert(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    """Insert unsaved instances (no auto primary keys set on them); the number inserted."""
    objects = list(objects)
    if not objects:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return len(objects)
    fields = _fields(model)
    return _insert(model, fields, ([getattr(obj, f.attname) for f in fields] for obj in objects))


def bulk_insert_values(model: type[models.Model], rows: Iterable[Mapping]) -> int:
    """Insert rows given as {field name: Python value} for every concrete field but an auto
    primary key: no model instance per row, whose __init__ was a fifth of projecting a code set
    into the `codes` read model. Elsewhere than PostgreSQL each field prepares its value for the
    database as the ORM would."""
    fields = _fields(model)
    return _insert(model, fields, ([row[f.attname] for f in fields] for row in rows))


# Fields whose values of these Python types go to the database as they are, on any backend:
# preparing them (get_db_prep_save, through the `connection` proxy for each value) was most of
# a codes projection on SQLite. Their other values, and every other field, are prepared.
AS_THEY_ARE = {
    "CharField": (str,),
    "TextField": (str,),
    "SlugField": (str,),
    "IntegerField": (int,),
    "BigIntegerField": (int,),
    "SmallIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveBigIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "BooleanField": (bool,),
}


def preparers(fields: list) -> list:
    """One function per field: its value as the database takes it, as the ORM prepares it."""
    database = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a lookup per use

    def preparer(field):
        prepare = field.get_db_prep_save
        kept = AS_THEY_ARE.get(type(field).__name__, ())

        def prep(value):
            if value is None or type(value) in kept:
                return value
            return prepare(value, database)

        return prep

    return [preparer(field) for field in fields]


def insert_prepared(
    model: type[models.Model], fields: list, preps: list, rows: Iterator[Sequence]
) -> int:
    """Elsewhere than PostgreSQL: rows in `fields` order, each value through its preparer
    (`preparers`, or one of the caller's), by executemany a thousand at a time."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    inserted = 0
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(rows, 1000)):
            cursor.executemany(
                statement,
                [[prep(value) for prep, value in zip(preps, row, strict=True)] for row in chunk],
            )
            inserted += len(chunk)
    return inserted


def _insert(model: type[models.Model], fields: list, rows: Iterator[Sequence]) -> int:
    if connection.vendor != "postgresql":
        return insert_prepared(model, fields, preparers(fields), rows)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    inserted = 0
    converters = [_converter(field) for field in fields]
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    convert(value) if convert and value is not None else value
                    for convert, value in zip(converters, row, strict=True)
                ]
            )
            inserted += 1
    return inserted


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
