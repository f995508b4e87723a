"""Importing the Alphabetic Index through the event log: the first release is in force, entries
attach to their codes, problems are reported, re-imports change nothing, and a later year is a
release for a reviewer to approve or reject."""

import io

import pytest
from django.core.management import CommandError, call_command

from alphabetic_index import actions, selectors
from alphabetic_index.importing import IndexImportRefused, index_import
from alphabetic_index.models import IndexEntry, IndexRelease
from alphabetic_index.readers import read_entries
from codeledger.domain import ADMIN, EDITOR, REVIEWER, Actor, Forbidden, Invalid, InvalidState
from events.models import Event
from events.testing import assert_projection_matches_rebuild, catch_up_each

from .conftest import NEXT_YEAR_XML, SAMPLE_CSV, SAMPLE_XML, import_index

pytestmark = pytest.mark.django_db

BOB = Actor("bob", frozenset({REVIEWER}))
CAROL = Actor("carol", frozenset({REVIEWER}))


def entry(path: str, release=None) -> IndexEntry:
    release = release or selectors.index_release()
    return IndexEntry.objects.get(release_id=release.release_id, path=path)


def test_the_first_index_is_in_force_and_its_entries_attach_to_their_codes(fy2025):
    assert fy2025.status == "in_force"
    release = selectors.index_release()
    assert (release.release, release.status, release.source) == (
        "FY2025",
        "in_force",
        "index-2025-sample.csv",
    )
    assert entry("Pneumonia").attached_code == "J18.9"
    bedwetting = entry("Bedwetting")
    assert (bedwetting.resolved_code, bedwetting.resolved_via, bedwetting.attached_code) == (
        "R32",
        "see",
        "R32",
    )
    assert bedwetting.see_target == entry("Enuresis").n
    assert selectors.entries_for_code("icd10cm", "R32") == ["Bedwetting", "Enuresis"]
    assert_projection_matches_rebuild("alphabetic_index")


def test_the_release_is_recorded_as_chunked_events_with_the_system_actor(fy2025):
    events = list(Event.objects.filter(stream=f"index:{fy2025.release_id}").order_by("version"))
    assert [e.type for e in events] == ["IndexReleaseImported", "IndexEntriesListed"]
    assert (events[0].meta["actor"], events[0].meta["release"]) == ("system", "FY2025")
    assert len(events[1].data["entries"]) == 33


def test_stale_and_header_codes_are_reported_and_not_attached(fy2025):
    assert (fy2025.counts["stale_code"], fy2025.counts["header_code"]) == (1, 1)
    smokers = entry("Cough, smokers'")  # J41.0 is not in the tabular list in force
    assert (smokers.code_status, smokers.attached_code) == ("stale", "")
    acardia = entry("Acardia, acardius")  # Q89.8 has been subdivided
    assert (acardia.code_status, acardia.attached_code) == ("header", "")
    assert selectors.entries_for_code("icd10cm", "Q89.8") == []
    legg = entry("Legg")  # M91.1-: the tabular list completes it
    assert (legg.code_status, legg.attached_code) == ("incomplete", "M91.1")


def test_reimporting_the_same_release_writes_nothing(fy2025):
    before = Event.objects.count()
    again = import_index()
    assert (again.status, again.events_written, again.release_id) == (
        "already_imported",
        0,
        fy2025.release_id,
    )
    # The same entries from the official XML are the same release.
    assert import_index(SAMPLE_XML).status == "already_imported"
    assert Event.objects.count() == before
    assert IndexRelease.objects.count() == 1


def test_the_same_release_label_with_other_content_is_refused(fy2025):
    with pytest.raises(IndexImportRefused, match=r"imported before .* with different content"):
        index_import(read_entries(NEXT_YEAR_XML), release="FY2025", source="changed.xml")


def test_a_later_year_is_proposed_for_review_with_its_changes_and_changes_nothing_yet(fy2025):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    assert proposed.status == "proposed"
    assert proposed.changes == {"added": 1, "removed": 1, "changed": 1, "codes_changed": 1}
    assert selectors.index_release().release == "FY2025"  # still the one in force
    changes = selectors.index_release_changes(release_id=proposed.release_id)
    assert [(c["kind"], c["path"]) for c in changes] == [
        ("changed", "Acardia, acardius"),
        ("added", "Pneumonia, aspiration, due to, milk"),
        ("removed", "Charley-horse"),
    ]
    assert changes[0]["changes"] == {"code": {"from": "Q89.8", "to": "Q89.89"}}
    assert_projection_matches_rebuild("alphabetic_index")


def test_approving_a_later_year_puts_it_in_force_and_supersedes_the_old_one(fy2025):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    decision = actions.index_release_approve(actor=BOB, release_id=proposed.release_id)
    catch_up_each("alphabetic_index")
    assert (decision.status, decision.replaced) == ("in_force", fy2025.release_id)
    current = selectors.index_release()
    assert (current.release, current.decided_by) == ("FY2026", "bob")
    old = IndexRelease.objects.get(release_id=fy2025.release_id)
    assert (old.status, str(old.superseded_by)) == ("superseded", proposed.release_id)
    acardia = entry("Acardia, acardius")  # Q89.89 is billable
    assert (acardia.code_status, acardia.attached_code) == ("billable", "Q89.89")
    assert selectors.entries_for_code("icd10cm", "M62.831") == []  # Charley-horse is gone
    assert_projection_matches_rebuild("alphabetic_index")


def test_rejecting_a_later_year_needs_a_reason_and_keeps_the_index_in_force(fy2025):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    with pytest.raises(Invalid, match="a reason is required"):
        actions.index_release_reject(actor=BOB, release_id=proposed.release_id, reason=" ")
    actions.index_release_reject(actor=BOB, release_id=proposed.release_id, reason="not final")
    catch_up_each("alphabetic_index")
    rejected = selectors.index_release(release_id=proposed.release_id)
    assert (rejected.status, rejected.reason) == ("rejected", "not final")
    assert selectors.index_release().release == "FY2025"
    with pytest.raises(InvalidState, match="only a proposed release can be decided"):
        actions.index_release_approve(actor=BOB, release_id=proposed.release_id)
    assert_projection_matches_rebuild("alphabetic_index")


@pytest.mark.parametrize(
    ("actor", "refusal"),
    [
        (Actor("alice", frozenset({EDITOR})), "needs one of the roles"),
        (Actor("system", frozenset({ADMIN})), "four-eyes"),
    ],
)
def test_only_a_reviewer_who_did_not_import_it_decides(fy2025, actor, refusal):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    with pytest.raises(Forbidden, match=refusal):
        actions.index_release_approve(actor=actor, release_id=proposed.release_id)
    assert selectors.index_release().release == "FY2025"


def test_a_release_compared_with_an_index_no_longer_in_force_cannot_be_approved(fy2025):
    first = import_index(NEXT_YEAR_XML, release="FY2026")
    second = import_index(NEXT_YEAR_XML, release="FY2026-update")
    actions.index_release_approve(actor=BOB, release_id=first.release_id)
    with pytest.raises(InvalidState, match="is in force now: import it again"):
        actions.index_release_approve(actor=CAROL, release_id=second.release_id)
    catch_up_each("alphabetic_index")
    assert selectors.index_release().release == "FY2026"
    assert_projection_matches_rebuild("alphabetic_index")


def test_a_later_year_that_states_nothing_new_records_nothing(fy2025):
    before = Event.objects.count()
    summary = import_index(SAMPLE_XML, release="FY2025-reprint")
    assert (summary.status, summary.events_written) == ("no_differences", 0)
    assert Event.objects.count() == before


def test_the_command_imports_with_a_table_of_counts_and_a_rerun_is_a_no_op(tabular):
    out = io.StringIO()
    call_command("index_import", "--file", str(SAMPLE_CSV), stdout=out, stderr=io.StringIO())
    table = out.getvalue()
    assert "index icd10cm FY2025 (index-2025-sample.csv): imported, in force" in table
    for label, count in [
        ("entries", 33),
        ("main terms", 17),
        ("with a code", 21),
        ("see-only", 7),
        ("header code (reported)", 1),
        ("stale code (reported)", 1),
    ]:
        assert any(line.split() == [*label.split(), str(count)] for line in table.splitlines()), (
            f"{label} {count} not in\n{table}"
        )
    assert IndexRelease.objects.get().status == "in_force"  # projected by the command
    out = io.StringIO()
    call_command("index_import", "--file", str(SAMPLE_CSV), stdout=out, stderr=io.StringIO())
    assert "imported before: nothing to do" in out.getvalue()
    out = io.StringIO()
    call_command("index_import", "--if-empty", stdout=out)  # make run's later starts
    assert "an Alphabetic Index was imported before, nothing to do" in out.getvalue()


def test_the_command_refuses_a_file_it_cannot_read(tabular, tmp_path):
    bad = tmp_path / "index-2026.csv"
    bad.write_text("code,title\n")
    with pytest.raises(CommandError, match=r"import refused: .*the header must be"):
        call_command("index_import", "--file", str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("index_import", "--file", str(tmp_path / "missing.xml"))
    assert not Event.objects.filter(stream__startswith="index:").exists()


def test_the_decide_command_approves_as_the_named_reviewer(fy2025, people):
    proposed = import_index(NEXT_YEAR_XML, release="FY2026")
    out = io.StringIO()
    call_command(
        "index_release_decide",
        proposed.release_id,
        "--reviewer",
        "bob",
        "--approve",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert f"index release {proposed.release_id}: in_force" in out.getvalue()
    assert selectors.index_release().release == "FY2026"
