"""Importing a code set: every code registered once, re-runs change nothing, bad data nothing."""

import io

import pytest
from django.core.management import CommandError, call_command

from codes.models import CodeEntry, CodeVersion
from codesets.importing import ImportRefused, import_codes
from codesets.sources import SourceCode
from events.models import Event
from events.testing import assert_projection_matches_rebuild

pytestmark = pytest.mark.django_db


def code(value, title, **content):
    return SourceCode("icd10cm", value, {"official_descriptor": title, "billable": True, **content})


SAMPLE = [
    code("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction", parent="I21"),
    code("QA0.1", "Neurodevelopmental disorder related to a genetic variant"),
    code(
        "J40",
        "Bronchitis, not specified as acute or chronic",
        notes={"excludes1": ["allergic bronchitis NOS (J45.909-)"]},
        related=[{"system": "icd10cm", "code": "J45.909", "relation": "excludes1"}],
    ),
]


def run(codes, **kwargs):
    return import_codes(
        lambda: iter(codes), system="icd10cm", source="test-source", release="R1", **kwargs
    )


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_first_import_registers_every_code_by_the_system_actor_with_source_and_release():
    summary = run(SAMPLE)
    assert (summary.codes, summary.events_written, summary.already_present) == (3, 3, 0)
    event = Event.objects.get(stream="code:icd10cm:J40")
    assert (event.type, event.meta["actor"], event.meta["source"], event.meta["release"]) == (
        "CodeRegistered",
        "system",
        "test-source",
        "R1",
    )
    entry = CodeEntry.objects.get(code="J40")
    assert entry.content["related"][0]["code"] == "J45.909"
    assert CodeVersion.objects.get(code="J40").source == "test-source"
    assert_projection_matches_rebuild("codes", "review", "codesets")


def test_reimporting_the_same_release_is_a_no_op():
    run(SAMPLE)
    again = run(SAMPLE)
    assert (again.events_written, again.already_present) == (0, 3)
    assert Event.objects.count() == 3


def test_an_import_of_part_of_the_set_is_completed_by_the_whole_set():
    run(SAMPLE[:2])  # e.g. an earlier `codes_import ... --only I21,QA0`
    summary = run(SAMPLE)
    assert (summary.codes, summary.events_written, summary.already_present) == (3, 1, 2)
    assert sorted(Event.objects.values_list("stream", flat=True)) == [
        "code:icd10cm:I21.4",
        "code:icd10cm:J40",
        "code:icd10cm:QA0.1",
    ]


def test_a_code_registered_otherwise_refuses_the_whole_import():
    import_codes(lambda: iter(SAMPLE[2:]), system="icd10cm", source="other", release="R0")
    with pytest.raises(ImportRefused, match="J40 is registered already, not by test-source R1"):
        run(SAMPLE)
    assert list(Event.objects.values_list("stream", flat=True)) == ["code:icd10cm:J40"]


def test_bad_data_anywhere_is_refused_before_anything_is_written():
    with pytest.raises(ImportRefused, match="Z9"):
        run([*SAMPLE, code("Z9", "too short a code")])
    with pytest.raises(ImportRefused, match="Official descriptor cannot be empty"):
        run([*SAMPLE, code("A00.0", "")])
    assert Event.objects.count() == 0


def test_the_command_refuses_unknown_sources_and_systems_clearly():
    with pytest.raises(CommandError, match=r"unknown source .icd9.*icd10cm-2026"):
        call_command("codes_import", "icd9")
    with pytest.raises(CommandError, match="holds icd10pcs codes, not icd10cm"):
        call_command("codes_import", "icd10pcs-2025", "--system", "icd10cm")
    assert Event.objects.count() == 0


def test_if_empty_skips_a_system_that_has_codes():
    run(SAMPLE)
    out = io.StringIO()
    call_command("codes_import", "icd10cm-2026", "--if-empty", stdout=out)
    assert "already imported" in out.getvalue()
    assert Event.objects.count() == 3
