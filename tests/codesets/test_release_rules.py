"""Release change sets as pure rules: the diff, the three-way merge, who may decide."""

import pytest

from codeledger.domain import Actor, Forbidden, Invalid, InvalidState
from codes.content import empty_content
from codes.events import CodeRegistered, CodeReinstated, CodeRetired, CodeRevised
from codes.state import CodeState
from codesets.domain import (
    ReleaseState,
    decide_approve,
    decide_reject,
    evolve_release,
    item_counts,
    listing_events,
    release_items,
)
from codesets.events import ReleaseProposed
from codesets.sources import SourceCode
from events.decider import fold

REVIEWER = Actor("bob", frozenset({"reviewer"}))
EDITOR = Actor("alice", frozenset({"editor"}))
CM_2026 = ("official_descriptor", "notes", "chapter", "block", "parent", "billable")


def state(code, version=1, **content):
    return CodeState("icd10cm", code, version, {**empty_content(), **content})


def entry(code, **content):
    return SourceCode("icd10cm", code, {**empty_content(), **content})


CURRENT = {
    "M35.04": state(
        "M35.04",
        official_descriptor="Sjogren syndrome with tubulo-interstitial nephropathy",
        short_descriptor="Sjogren syndrome w tubulo-interstitial nephropathy",
        billable=True,
        common_description="Dry eyes and mouth with kidney inflammation.",
        lay_terms=["sicca syndrome"],
    ),
    "S30.1XXA": state("S30.1XXA", official_descriptor="Contusion of abdominal wall, initial"),
    "A00.0": state("A00.0", official_descriptor="Cholera due to Vibrio cholerae 01, biovar"),
    "B99": state("B99", 2, official_descriptor="Other infectious diseases", status="retired"),
}
RELEASE = [
    entry("A00.0", official_descriptor="Cholera due to Vibrio cholerae 01, biovar"),
    entry("B99", official_descriptor="Other infectious diseases"),
    entry(
        "E11.A",
        official_descriptor="Type 2 diabetes mellitus without complications, in remission",
        billable=True,
        lay_terms=["diabetes in remission"],
    ),
    entry(
        "M35.04",
        official_descriptor="Sjögren syndrome with tubulo-interstitial nephropathy",
        billable=True,
        lay_terms=["renal tubular acidosis in sicca syndrome"],
    ),
]


def items_by_code():
    return {item["code"]: item for item in release_items(CURRENT, RELEASE, provides=CM_2026)}


def test_the_diff_lists_added_revised_retired_and_reinstated_codes():
    items = items_by_code()
    assert {code: item["kind"] for code, item in items.items()} == {
        "B99": "reinstated",
        "E11.A": "added",
        "M35.04": "revised",
        "S30.1XXA": "retired",
    }
    assert items["M35.04"]["changes"] == {
        "official_descriptor": {
            "from": "Sjogren syndrome with tubulo-interstitial nephropathy",
            "to": "Sjögren syndrome with tubulo-interstitial nephropathy",
        }
    }
    assert items["S30.1XXA"]["changes"] == {"status": {"from": "active", "to": "retired"}}
    assert items["E11.A"]["changes"]["lay_terms"] == {
        "from": None,
        "to": ["diabetes in remission"],
    }


def test_a_release_never_touches_fields_its_source_lacks_nor_editorial_content():
    # The 2026 tabular has no short descriptors; lay terms and descriptions are editors' work.
    changed = items_by_code()["M35.04"]["changes"]
    assert "short_descriptor" not in changed
    assert "common_description" not in changed
    assert "lay_terms" not in changed


def test_counts_give_items_per_kind_and_revisions_per_field():
    counts = item_counts(list(items_by_code().values()))
    assert counts["kinds"] == {"added": 1, "revised": 1, "retired": 1, "reinstated": 1}
    assert counts["revised_fields"] == {"official_descriptor": 1}


def proposed(items=None):
    items = list(items_by_code().values()) if items is None else items
    events = [
        ReleaseProposed("r1", "icd10cm", "icd10cm-2026", "April 2026", "system", "2026-04-01"),
        *listing_events("r1", items),
    ]
    return fold(evolve_release, ReleaseState(), events)


def test_listing_is_chunked_and_folds_back_to_every_item():
    many = [{"code": f"A{n:04}", "kind": "added", "changes": {}} for n in range(1234)]
    assert len(listing_events("r1", many)) == 3
    release = proposed(many)
    assert len(release.pending) == 1234
    assert release.status == "open"


def test_approving_applies_each_item_with_the_release_date_and_origin():
    release = proposed()
    approval = decide_approve(REVIEWER, release, release.pending, CURRENT)
    assert sorted(approval.applied) == ["B99", "E11.A", "M35.04", "S30.1XXA"]
    events = approval.code_events
    assert isinstance(events["E11.A"][0], CodeRegistered)
    assert events["E11.A"][0].content["billable"] is True
    assert isinstance(events["S30.1XXA"][0], CodeRetired)
    assert isinstance(events["B99"][0], CodeReinstated)
    revision = events["M35.04"][0]
    assert isinstance(revision, CodeRevised)
    assert revision.changes["official_descriptor"]["to"].startswith("Sjögren")
    assert (revision.change_request, revision.effective_from, revision.reviewer) == (
        "r1",
        "2026-04-01",
        "bob",
    )
    release = fold(evolve_release, release, approval.release_events)
    assert release.status == "completed"


def test_a_field_an_editor_changed_meanwhile_is_a_conflict_and_nothing_of_that_code_applies():
    release = proposed()
    moved = dict(CURRENT)
    moved["M35.04"] = state("M35.04", 2, official_descriptor="Sjogren syndrome with TIN")
    approval = decide_approve(REVIEWER, release, ["M35.04", "E11.A"], moved)
    assert approval.applied == ["E11.A"]
    assert approval.conflicts == {"M35.04": {"official_descriptor": "Sjogren syndrome with TIN"}}
    assert "M35.04" not in approval.code_events
    release = fold(evolve_release, release, approval.release_events)
    assert "M35.04" in release.pending
    assert release.conflicts["M35.04"]


def test_an_item_already_in_place_is_applied_without_writing_anything():
    release = proposed()
    already = dict(CURRENT)
    already["M35.04"] = state(
        "M35.04", 3, official_descriptor="Sjögren syndrome with tubulo-interstitial nephropathy"
    )
    approval = decide_approve(REVIEWER, release, ["M35.04"], already)
    assert (approval.applied, approval.code_events) == (["M35.04"], {})


def test_only_reviewers_decide_and_never_the_importer():
    release = proposed()
    with pytest.raises(Forbidden):
        decide_approve(EDITOR, release, release.pending, CURRENT)
    with pytest.raises(Forbidden, match="four-eyes"):
        decide_approve(Actor("system", frozenset({"admin"})), release, release.pending, CURRENT)


def test_decided_or_unknown_items_cannot_be_decided_again():
    release = proposed()
    rejected = decide_reject(REVIEWER, release, ["E11.A"], "not in our edition")
    release = evolve_release(release, rejected)
    with pytest.raises(InvalidState, match="already decided"):
        decide_approve(REVIEWER, release, ["E11.A"], CURRENT)
    with pytest.raises(Invalid, match="not items of this release"):
        decide_approve(REVIEWER, release, ["Z99.9"], CURRENT)
    with pytest.raises(Invalid, match="reason"):
        decide_reject(REVIEWER, release, ["M35.04"], "  ")
