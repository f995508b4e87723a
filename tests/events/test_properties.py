"""Rules for every history (hypothesis): fold = read model; export/import keeps the hashes."""

import functools
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.integrity import export_lines, import_lines, verify_chain
from events.models import Event, StreamSummary
from events.projections import catch_up
from events.store import NewEvent, append, read_all
from events.testing import assert_projection_matches_rebuild

# Any JSON the store accepts: everything but floats and NUL characters (refused on append).
texts = st.text(alphabet=st.characters(exclude_characters="\x00", codec="utf-8"), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)
histories = st.lists(
    st.tuples(
        st.sampled_from(["account:a", "account:b", "code:icd10cm:I21.4", "change:x"]),
        st.lists(
            st.tuples(
                st.sampled_from(["test.Deposited", "test.Withdrawn", "test.Other"]),
                st.dictionaries(texts, json_values, max_size=4),
            ),
            min_size=1,
            max_size=4,
        ),
    ),
    min_size=1,
    max_size=12,
)


def run_in_rolled_back_transaction(body):
    with transaction.atomic():
        body()
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories)
def test_read_model_equals_the_fold_of_any_history(history):
    def body():
        for stream, events in history:
            append(stream, [NewEvent(type=kind, data=data) for kind, data in events])
        catch_up("streams")
        folded = {}
        for event in read_all(limit=10_000, upcast=False):
            count = folded.get(event.stream, (0, 0))[1]
            folded[event.stream] = (event.version, count + 1, event.type)
        model = {
            s.stream: (s.version, s.event_count, s.last_type) for s in StreamSummary.objects.all()
        }
        assert model == folded
        assert_projection_matches_rebuild("streams")

    run_in_rolled_back_transaction(body)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(history=histories)
def test_export_then_import_into_an_empty_store_reproduces_identical_hashes(history):
    def body():
        for stream, events in history:
            append(
                stream,
                [NewEvent(type=kind, data=data) for kind, data in events],
                meta={"actor": "hypothesis"},
            )
        exported = list(export_lines())
        hashes = [json.loads(line)["hash"] for line in exported]
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('codeledger.allow_event_rewrite', 'on', true)")
            cursor.execute("DELETE FROM events_event")
            cursor.execute("DELETE FROM events_seal")  # an empty store has no seals either
            cursor.execute("SELECT set_config('codeledger.allow_event_rewrite', 'off', true)")
        assert Event.objects.count() == 0
        result = import_lines(exported)
        assert result.written == len(hashes)
        assert list(Event.objects.order_by("position").values_list("hash", flat=True)) == hashes
        assert verify_chain().ok

    run_in_rolled_back_transaction(body)


@settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(texts, json_values, max_size=6))
def test_the_fast_serialiser_writes_exactly_the_canonical_json(value):
    from events.canonical import canonical_dumps, canonical_json

    assert canonical_dumps(value) == canonical_json(value)


finite_floats = st.floats(allow_nan=False, allow_infinity=False)
values_with_floats = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts | finite_floats,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)


def _has_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    if isinstance(value, dict):
        return any(_has_float(item) for item in value.values())
    return False


@settings(max_examples=500, deadline=None)
@given(value=st.dictionaries(texts, values_with_floats, max_size=6))
def test_the_fast_serialiser_refuses_a_float_anywhere_and_nothing_else(value):
    # Its shortcut (no re-read unless the text has a number token like a float) loses no float.
    from events.canonical import canonical_dumps

    if _has_float(value):
        with pytest.raises(TypeError, match="floats are not allowed"):
            canonical_dumps(value)
    else:
        assert json.loads(canonical_dumps(value)) == value


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"a": 1.5}, TypeError),
        ({"a": [{"b": 2e3}]}, TypeError),
        ({"a": "x\x00"}, ValueError),
        ({1: "a"}, TypeError),
        ({"a": {"b": {2: "c"}}}, TypeError),
        ({"a": object()}, TypeError),
        ({"a": datetime(2026, 1, 1)}, ValueError),  # naive: no canonical form
    ],
)
def test_the_fast_serialiser_refuses_what_the_canonical_form_refuses(value, error):
    from events.canonical import canonical_dumps, canonical_json

    with pytest.raises(error):
        canonical_json(value)
    with pytest.raises(error):
        canonical_dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**70, "small": -(2**65)},  # beyond orjson's 64 bits: the slow way
        {"deep": functools.reduce(lambda inner, _: [inner], range(300), "x")},  # 300 levels
        {"at": datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC), "on": date(2026, 3, 4)},
        {"id": uuid.UUID("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), "t": ("a", 1)},
        {"text": '\x01\x1f\x7f\u2028 é "\\ \n\t\b\f 𝄞', "é": 1, "e": 2, "z": 3},
    ],
)
def test_the_fast_serialiser_matches_the_canonical_form_where_orjson_stops_or_differs(value):
    from events.canonical import canonical_dumps, canonical_json

    assert canonical_dumps(value) == canonical_json(value)
