"""The change-request workflow through the REST API, with problem details for every error."""

import pytest
from django.urls import reverse

from events.models import Event
from events.testing import assert_projection_matches_rebuild
from review.models import ChangeRequestEntry

pytestmark = pytest.mark.django_db

URL = "/api/v1/change-requests"


def propose(client, **overrides):
    body = {
        "system": "icd10cm",
        "code": "I21.4",
        "base_version": 1,
        "changes": {"short_descriptor": "NSTEMI"},
        "rationale": "CMS short form",
    }
    return client.post(URL, {**body, **overrides}, format="json")


def act(client, change_id, action, **body):
    return client.post(f"{URL}/{change_id}/{action}", body, format="json")


def assert_problem(response, status, *, contains=""):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("/problems/")
    assert contains in body["detail"], body
    return body


def assert_nothing_written(before):
    assert Event.objects.count() == before


def test_the_whole_review_round_trip(as_user, nstemi):
    alice, bob = as_user("alice"), as_user("bob")
    created = propose(alice)
    assert created.status_code == 201, created.content
    change = created.json()
    assert (change["status"], change["version"], change["proposer"]) == ("submitted", 1, "alice")
    assert change["position"] > 0
    assert_projection_matches_rebuild("codes", "review", "codesets")

    sent_back = act(
        bob,
        change["change_id"],
        "request-changes",
        expected_version=1,
        message="Use the CMS abbreviation",
    )
    assert sent_back.json()["status"] == "changes_requested"
    assert_projection_matches_rebuild("codes", "review", "codesets")

    revised = act(
        alice,
        change["change_id"],
        "revise",
        expected_version=2,
        base_version=1,
        changes={"short_descriptor": "NSTEMI myocardial infarction"},
        rationale="CMS wording",
    )
    assert revised.json()["status"] == "submitted"
    assert_projection_matches_rebuild("codes", "review", "codesets")

    commented = act(bob, change["change_id"], "comments", text="Looks right now.")
    assert commented.json()["comments"][0]["text"] == "Looks right now."
    assert_projection_matches_rebuild("codes", "review", "codesets")

    approved = act(bob, change["change_id"], "approve", expected_version=4)
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert_projection_matches_rebuild("codes", "review", "codesets")

    code = alice.get("/api/v1/codes/icd10cm/I21.4").json()
    assert code["version"] == 2
    assert code["content"]["short_descriptor"] == "NSTEMI myocardial infarction"
    detail = bob.get(f"{URL}/{change['change_id']}").json()
    assert (detail["status"], detail["reviewer"], len(detail["comments"])) == ("approved", "bob", 1)
    history = alice.get("/api/v1/codes/icd10cm/I21.4/history").json()["versions"]
    assert [(v["version"], v["proposer"], v["reviewer"], v["rationale"]) for v in history] == [
        (1, "system", "", ""),
        (2, "alice", "bob", "CMS wording"),
    ]


def test_four_eyes_a_reviewer_cannot_decide_their_own_request(as_user, nstemi):
    bob = as_user("bob")
    change = propose(bob).json()
    before = Event.objects.count()
    for action, body in [
        ("approve", {}),
        ("reject", {"reason": "x"}),
        ("request-changes", {"message": "x"}),
    ]:
        response = act(bob, change["change_id"], action, expected_version=1, **body)
        problem = assert_problem(response, 403, contains="four-eyes")
        assert problem["reason"] == "four_eyes"
    assert_nothing_written(before)


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_two_requests_on_one_base_version_the_second_approval_conflicts(as_user, nstemi):
    alice, eve, bob = as_user("alice"), as_user("eve"), as_user("bob")
    first = propose(alice).json()
    second = propose(eve, changes={"short_descriptor": "NSTEMI (heart attack)"}).json()
    assert act(bob, first["change_id"], "approve", expected_version=1).status_code == 200
    before = Event.objects.count()

    response = act(bob, second["change_id"], "approve", expected_version=1)

    problem = assert_problem(response, 409, contains="nothing was applied")
    assert problem["current_version"] == 2 and problem["base_version"] == 1
    assert problem["current_values"] == {"short_descriptor": "NSTEMI"}
    assert_nothing_written(before)
    listed = bob.get(URL, {"status": "conflicted"}).json()["results"]
    assert [row["change_id"] for row in listed] == [second["change_id"]]
    detail = eve.get(f"{URL}/{second['change_id']}").json()
    assert detail["conflicted"] is True
    assert detail["current_values"] == {"short_descriptor": "NSTEMI"}

    rebased = act(
        eve,
        second["change_id"],
        "revise",
        expected_version=1,
        base_version=2,
        changes={"short_descriptor": "NSTEMI (heart attack)"},
        rationale="rebased",
    )
    assert rebased.status_code == 200
    assert act(bob, second["change_id"], "approve", expected_version=2).status_code == 200
    assert_projection_matches_rebuild("codes", "review", "codesets")


def test_a_stale_expected_version_is_a_conflict_with_the_current_version(as_user, nstemi):
    change = propose(as_user("alice")).json()
    act(as_user("alice"), change["change_id"], "comments", text="one more thing")
    before = Event.objects.count()
    problem = assert_problem(
        act(as_user("bob"), change["change_id"], "approve", expected_version=1), 409
    )
    assert (problem["expected_version"], problem["current_version"]) == (1, 2)
    assert_nothing_written(before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rationale": ""}, "rationale"),
        ({"changes": {}}, "changes"),
        ({"changes": {"colour": "red"}}, "colour"),
        ({"changes": {"short_descriptor": "x" * 201}}, "short_descriptor"),
        ({"changes": {"billable": "yes"}}, "billable"),
        ({"changes": {"notes": {"excludes3": ["x"]}}}, "notes"),
        ({"code": "I2"}, "code"),
        ({"code": "I99.9"}, "code"),
        ({"system": "icd11"}, "system"),
        ({"base_version": -1}, "base_version"),
        ({"surprise": 1}, "surprise"),
        ({"effective_from": "31/12/2027"}, "effective_from"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(as_user, nstemi, body, field):
    before = Event.objects.count()
    response = propose(as_user("alice"), **body)
    problem = assert_problem(response, 400)
    assert field in problem.get("errors", {}) or field in problem["detail"], problem
    assert_nothing_written(before)


def test_a_lone_surrogate_in_a_proposed_value_is_a_400_naming_the_field(as_user, nstemi):
    before = Event.objects.count()
    body = (
        '{"system": "icd10cm", "code": "I21.4", "base_version": 1, '
        '"changes": {"short_descriptor": "NSTEMI \\ud800"}, "rationale": "why"}'
    )
    response = as_user("alice").post(URL, body, content_type="application/json")
    problem = assert_problem(response, 400, contains="Unicode")
    assert "changes.short_descriptor" in problem["errors"], problem
    assert_nothing_written(before)


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_markup_is_stored_as_plain_text(as_user, nstemi):
    text = '<script>alert("x")</script> Heart attack'
    change = propose(as_user("alice"), changes={"common_description": text}).json()
    act(as_user("bob"), change["change_id"], "approve", expected_version=1)
    content = as_user("carol").get("/api/v1/codes/icd10cm/I21.4").json()["content"]
    assert content["common_description"] == text


def test_unknown_change_request_and_code_are_404(as_user, nstemi):
    assert_problem(as_user("bob").get(f"{URL}/00000000-0000-0000-0000-000000000000"), 404)
    assert_problem(as_user("bob").get("/api/v1/codes/icd10cm/I99.9"), 404)
    assert_problem(as_user("bob").get("/api/v1/codes/icd11/I21.4"), 400, contains="unknown")


def test_withdraw_by_the_proposer_then_nothing_more_can_happen(as_user, nstemi):
    change = propose(as_user("alice")).json()
    assert (
        act(as_user("alice"), change["change_id"], "withdraw", expected_version=1).json()["status"]
        == "withdrawn"
    )
    assert_projection_matches_rebuild("codes", "review", "codesets")
    assert_problem(
        act(as_user("bob"), change["change_id"], "approve", expected_version=2),
        409,
        contains="withdrawn",
    )


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_new_code_proposal_registers_it_on_approval(as_user, nstemi):
    change = propose(
        as_user("alice"),
        code="I21.B",
        is_new=True,
        base_version=0,
        changes={
            "official_descriptor": "Myocardial infarction with coronary microvascular dysfunction",
            "billable": True,
        },
        rationale="FY2026 addition",
    ).json()
    approved = act(as_user("bob"), change["change_id"], "approve", expected_version=1)
    assert approved.status_code == 200, approved.content
    code = as_user("anonymous").get("/api/v1/codes/icd10cm/I21.B").json()
    assert code["version"] == 1 and code["content"]["billable"] is True
    assert_projection_matches_rebuild("codes", "review", "codesets")


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_list_filters_and_cursor_pages_in_submission_order(as_user, nstemi):
    alice = as_user("alice")
    ids = [
        propose(alice, changes={"short_descriptor": f"variant {n}"}).json()["change_id"]
        for n in range(5)
    ]
    first = as_user("bob").get(URL, {"size": 2, "proposer": "alice"}).json()
    assert [r["change_id"] for r in first["results"]] == ids[:2]
    second = as_user("bob").get(first["next"]).json()
    assert [r["change_id"] for r in second["results"]] == ids[2:4]
    assert as_user("bob").get(URL, {"proposer": "eve"}).json()["results"] == []
    assert_problem(as_user("bob").get(URL, {"colour": "red"}), 400)
    assert ChangeRequestEntry.objects.count() == 5


def test_diff_between_versions_is_field_and_word_level(as_user, nstemi):
    change = propose(
        as_user("alice"),
        changes={
            "common_description": "A heart attack in which the ECG shows no ST elevation.",
            "lay_terms": ["heart attack", "NSTEMI"],
        },
    ).json()
    act(as_user("bob"), change["change_id"], "approve", expected_version=1)
    diff = as_user("carol").get("/api/v1/codes/icd10cm/I21.4/diff", {"from": 1, "to": 2}).json()
    fields = {f["field"]: f for f in diff["fields"]}
    assert set(fields) == {"common_description", "lay_terms"}
    words = fields["common_description"]["words"]
    assert {"op": "delete", "text": "-segment"} in words or any(
        w["op"] == "delete" and "segment" in w["text"] for w in words
    )
    assert fields["lay_terms"]["added"] == ["NSTEMI"]
    # A guest reads metered sections on the pages only (docs/accounts.md): none differ here.
    guest = as_user("anonymous").get("/api/v1/codes/icd10cm/I21.4/diff", {"from": 1, "to": 2})
    assert guest.json()["fields"] == [] and "common_description" in guest.json()["withheld"]
    assert_problem(
        as_user("anonymous").get("/api/v1/codes/icd10cm/I21.4/diff", {"from": 1, "to": 9}), 404
    )


def test_schema_and_docs_are_served(client):
    assert client.get(reverse("schema")).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200


def test_events_carry_the_request_id_and_actor(as_user, nstemi):
    response = as_user("alice").post(
        URL,
        {
            "system": "icd10cm",
            "code": "I21.4",
            "base_version": 1,
            "changes": {"short_descriptor": "NSTEMI"},
            "rationale": "short",
        },
        format="json",
        HTTP_X_REQUEST_ID="req-42",
    )
    assert response["X-Request-ID"] == "req-42"
    meta = Event.objects.get(type="ChangeRequestSubmitted").meta
    assert (meta["request_id"], meta["actor"], meta["source"]) == ("req-42", "alice", "web")


def test_demo_users_are_made_once_per_role_with_printed_logins(settings, db):
    import io

    from django.contrib.auth.models import User
    from django.core.management import CommandError, call_command

    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_users", stdout=out)
    assert "Demo logins (shown once)" in out.getvalue()
    reviewer = User.objects.get(username="reviewer")
    assert list(reviewer.groups.values_list("name", flat=True)) == ["reviewer"]
    password = next(
        line.split()[1]
        for line in out.getvalue().splitlines()
        if line.strip().startswith("reviewer ")
    )
    assert reviewer.check_password(password)

    again = io.StringIO()
    call_command("demo_users", stdout=again)
    assert "demo users exist" in again.getvalue()

    settings.DEBUG = False
    with pytest.raises(CommandError, match="embedded default"):
        call_command("demo_users")
