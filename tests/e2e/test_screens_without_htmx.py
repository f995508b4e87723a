"""The screens through Django's test client: plain form posts (no htmx), validation messages
next to their fields, 403 for roles without the right, CSRF, and the htmx fragments."""

import re

import pytest
from django.test import Client

from codeledger.domain import actor_for
from codes.models import CodeVersion
from codes.selectors import load_code
from review import selectors
from review.actions import change_request_submit
from review.models import ChangeRequestEntry

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def propose_data(**overrides) -> dict:
    data = {
        "base_version": 1,
        "official_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
        "short_descriptor": "NSTEMI myocardial infarction",
        "common_description": "A heart attack without ST elevation on the ECG.",
        "lay_terms": "heart attack",
        "billable": "on",
        "status": "active",
        "rationale": "Plainer wording.",
        "effective_from": "",
    }
    data.update(overrides)
    return data


def submit(people, who="alice", text="A heart attack without ST elevation on the ECG."):
    return change_request_submit(
        actor=actor_for(people[who]),
        system="icd10cm",
        code="I21.4",
        base_version=load_code("icd10cm", "I21.4").version,
        changes={"common_description": text},
        rationale="Plainer wording.",
    ).change_request


# --- public pages -------------------------------------------------------------------------


def test_code_page_shows_the_reference_content(nstemi, people):
    page = client_for(None).get("/codes/icd10cm/i214")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Non-ST elevation (NSTEMI) myocardial infarction" in html
    assert "NSTEMI myocardial infarction" in html  # short descriptor
    assert "no ST-segment elevation" in html
    assert "Inclusion terms" in html and "Non-Q wave myocardial infarction NOS" in html
    assert 'href="/codes/icd10cm/I25.2"' in html
    assert 'href="/codes/icd10cm/F17"' in html and "F17.-" in html  # a range links its category
    assert 'href="/codes/icd10cm/I21"' in html  # parent in the breadcrumb
    assert "Ischemic heart diseases (I20-I25)" in html
    assert "Propose a change" not in html  # anonymous


def test_unknown_code_is_a_readable_404(nstemi):
    page = client_for(None).get("/codes/icd10cm/Z99.89")
    assert page.status_code == 404
    assert "No such code" in page.content.decode()
    assert client_for(None).get("/codes/nosuch/X1").status_code == 404


def test_code_page_announces_a_scheduled_change(nstemi, people):
    from datetime import date, timedelta

    from review.actions import change_request_approve

    later = date.today() + timedelta(days=30)
    request = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"common_description": "A later wording."},
        rationale="Next year's text.",
        effective_from=later,
    ).change_request
    change_request_approve(
        actor=actor_for(people["bob"]), change_id=request.change_id, expected_version=1
    )
    html = client_for(None).get("/codes/icd10cm/I21.4").content.decode()
    assert "A change is scheduled" in html and later.isoformat() in html
    assert "no ST-segment elevation" in html  # still today's text


# --- proposing ----------------------------------------------------------------------------


def test_propose_form_is_prefilled_with_current_values(nstemi, people):
    html = client_for(people["alice"]).get("/codes/icd10cm/I21.4/propose").content.decode()
    assert "A heart attack in which the ECG shows no ST-segment elevation." in html
    assert 'name="base_version" value="1"' in html


def test_plain_post_proposal_redirects_to_the_request_page(nstemi, people):
    response = client_for(people["alice"]).post("/codes/icd10cm/I21.4/propose", propose_data())
    assert response.status_code == 302
    entry = ChangeRequestEntry.objects.get()
    assert response["Location"] == f"/requests/{entry.change_id}"
    assert entry.changes == {
        "common_description": "A heart attack without ST elevation on the ECG."
    }
    assert entry.proposer == "alice"


def test_missing_rationale_is_shown_next_to_the_field_and_writes_nothing(nstemi, people):
    response = client_for(people["alice"]).post(
        "/codes/icd10cm/I21.4/propose", propose_data(rationale="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="id_rationale_error".*a rationale is required', html, re.S)
    assert ChangeRequestEntry.objects.count() == 0


def test_a_proposal_that_changes_nothing_says_so(nstemi, people):
    response = client_for(people["alice"]).post(
        "/codes/icd10cm/I21.4/propose",
        propose_data(
            common_description="A heart attack in which the ECG shows no ST-segment elevation."
        ),
    )
    assert response.status_code == 200
    assert "propose at least one field change" in response.content.decode()
    assert ChangeRequestEntry.objects.count() == 0


def test_a_stale_proposal_shows_what_changed_meanwhile(nstemi, people):
    from review.actions import change_request_approve

    other = submit(people, "eve", "Someone else's wording.")
    change_request_approve(
        actor=actor_for(people["bob"]), change_id=other.change_id, expected_version=1
    )
    response = client_for(people["alice"]).post("/codes/icd10cm/I21.4/propose", propose_data())
    html = response.content.decode()
    assert response.status_code == 409
    assert "What changed meanwhile" in html and "proposed by eve, approved by bob" in html
    assert 'name="base_version" value="2"' in html
    assert ChangeRequestEntry.objects.count() == 1


def test_preview_shows_word_level_changes(nstemi, people):
    response = client_for(people["alice"]).post(
        "/codes/icd10cm/I21.4/propose/preview",
        propose_data(common_description="A heart attack in which the ECG shows no ST elevation."),
        **HTMX,
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'shows no ST<del class="diff">-segment</del> elevation.' in html
    assert "Common-language description" in html


# --- deciding -----------------------------------------------------------------------------


def test_plain_post_approve_redirects_and_applies(nstemi, people):
    request = submit(people)
    response = client_for(people["bob"]).post(
        f"/requests/{request.change_id}/approve", {"expected_version": 1, "note": ""}
    )
    assert response.status_code == 302
    assert selectors.change_request_detail(change_id=request.change_id).status == "approved"
    page = client_for(None).get("/codes/icd10cm/I21.4").content.decode()
    assert "A heart attack without ST elevation on the ECG." in page


def test_reject_needs_a_reason_next_to_the_field(nstemi, people):
    request = submit(people)
    response = client_for(people["bob"]).post(
        f"/requests/{request.change_id}/reject", {"expected_version": 1, "reason": " "}
    )
    assert response.status_code == 200
    assert re.search(r'id="reject_reason_error".*Give a reason', response.content.decode(), re.S)
    assert selectors.change_request_detail(change_id=request.change_id).status == "submitted"


def test_htmx_decision_answers_the_panel_with_the_new_count(nstemi, people):
    request = submit(people)
    response = client_for(people["bob"]).post(
        f"/requests/{request.change_id}/request-changes",
        {"expected_version": 1, "message": "Cite the source."},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Changes requested" in html and "Cite the source." in html
    assert 'id="queue-count" class="badge" hx-swap-oob="true"' in html
    assert "requestDecided" in response["HX-Trigger"]


def test_deciding_an_already_decided_request_is_a_conflict_that_applies_nothing(nstemi, people):
    request = submit(people)
    bob, carol = client_for(people["bob"]), client_for(people["carol"])
    assert (
        bob.post(f"/requests/{request.change_id}/approve", {"expected_version": 1}).status_code
        == 302
    )
    response = carol.post(f"/requests/{request.change_id}/approve", {"expected_version": 1})
    assert response.status_code == 409
    assert "Someone acted on this request first" in response.content.decode()
    assert CodeVersion.objects.filter(code="I21.4").count() == 2


def test_own_request_shows_the_four_eyes_rule_and_cannot_be_decided(nstemi, people):
    request = submit(people, "bob")
    bob = client_for(people["bob"])
    html = bob.get(f"/requests/{request.change_id}").content.decode()
    assert (
        "four-eyes" in html
        and 'action="/requests/' + str(request.change_id) + '/approve"' not in html
    )
    response = bob.post(f"/requests/{request.change_id}/approve", {"expected_version": 1})
    assert response.status_code == 403
    assert selectors.change_request_detail(change_id=request.change_id).status == "submitted"


@pytest.mark.parametrize(
    ("who", "url", "expected"),
    [
        ("alice", "/requests/{id}/approve", 403),  # editors do not decide
        ("audrey", "/requests/{id}/approve", 403),  # auditors change nothing
        ("audrey", "/codes/icd10cm/I21.4/propose", 403),
        ("nobody", "/requests/", 403),
        ("nobody", "/requests/{id}", 403),
        ("eve", "/requests/{id}/revise", 403),  # someone else's request
    ],
)
def test_roles_without_the_right_get_403(nstemi, people, who, url, expected):
    request = submit(people)
    client = client_for(people[who])
    url = url.format(id=request.change_id)
    response = (
        client.post(url, {"expected_version": 1}) if url.endswith("approve") else client.get(url)
    )
    assert response.status_code == expected
    assert selectors.change_request_detail(change_id=request.change_id).status == "submitted"


def test_anonymous_people_are_sent_to_sign_in(nstemi, people):
    response = client_for(None).get("/requests/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_posts_without_a_csrf_token_are_refused(nstemi, people):
    request = submit(people)
    client = client_for(people["bob"], enforce_csrf_checks=True)
    response = client.post(f"/requests/{request.change_id}/approve", {"expected_version": 1})
    assert response.status_code == 403
    assert selectors.change_request_detail(change_id=request.change_id).status == "submitted"


def test_every_page_carries_the_csrf_header_for_htmx(nstemi, people):
    html = client_for(people["bob"]).get("/requests/").content.decode()
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", html)


# --- comments, revise, lists ---------------------------------------------------------------


def test_plain_post_comment_reloads_the_page_and_htmx_appends(nstemi, people):
    request = submit(people)
    bob = client_for(people["bob"])
    assert (
        bob.post(f"/requests/{request.change_id}/comments", {"text": "Looks right."}).status_code
        == 302
    )
    fragment = bob.post(
        f"/requests/{request.change_id}/comments", {"text": "<b>second</b>"}, **HTMX
    ).content.decode()
    assert fragment.lstrip().startswith("<li>") and "&lt;b&gt;second&lt;/b&gt;" in fragment
    empty = bob.post(f"/requests/{request.change_id}/comments", {"text": ""}, **HTMX)
    assert (
        empty["HX-Retarget"] == "#comment-form"
        and "Write something first." in empty.content.decode()
    )
    texts = [
        c["text"] for c in selectors.change_request_detail(change_id=request.change_id).comments
    ]
    assert texts == ["Looks right.", "<b>second</b>"]


def test_revise_after_changes_were_requested(nstemi, people):
    from review.actions import change_request_request_changes

    request = submit(people)
    change_request_request_changes(
        actor=actor_for(people["bob"]),
        change_id=request.change_id,
        expected_version=1,
        message="Shorter.",
    )
    alice = client_for(people["alice"])
    form = alice.get(f"/requests/{request.change_id}/revise").content.decode()
    assert "Shorter." in form and 'name="expected_version" value="2"' in form
    response = alice.post(
        f"/requests/{request.change_id}/revise",
        {
            **propose_data(common_description="A heart attack without ST elevation."),
            "expected_version": 2,
        },
    )
    assert response.status_code == 302
    entry = selectors.change_request_detail(change_id=request.change_id)
    assert entry.status == "submitted"
    assert entry.changes == {"common_description": "A heart attack without ST elevation."}


def test_queue_filters_and_my_requests(nstemi, people):
    submit(people, "alice")
    bob = client_for(people["bob"])
    html = bob.get("/requests/").content.decode()
    assert "<strong>1</strong> waiting for review" in html and "I21.4" in html
    html = bob.get("/requests/?proposer=eve").content.decode()
    assert "<strong>0</strong> waiting for review" in html
    fragment = bob.get("/requests/?age=7", **HTMX).content.decode()
    assert "<html" not in fragment and "<strong>0</strong>" in fragment
    mine = client_for(people["alice"]).get("/requests/mine").content.decode()
    assert "I21.4" in mine and "Waiting for review" in mine


def test_navigation_follows_roles(nstemi, people):
    assert "Review queue" in client_for(people["bob"]).get("/").content.decode()
    editor = client_for(people["alice"]).get("/").content.decode()
    assert "My requests" in editor and "Review queue" not in editor
    auditor = client_for(people["audrey"]).get("/").content.decode()
    assert "Change requests" in auditor and "My requests" not in auditor
    anonymous = client_for(None).get("/").content.decode()
    assert "Sign in" in anonymous and "My requests" not in anonymous


# --- search -------------------------------------------------------------------------------


def _index_with_markup(people):
    from codeledger.elastic import elasticsearch_client
    from codesets.actions import code_register
    from events.projections import catch_up
    from search.documents import alias

    code_register(
        system="custom",
        code="DEMO-1",
        content={"official_descriptor": "Tricky <script>alert(1)</script> infarction wording"},
        source="test",
    )
    catch_up("search")
    elasticsearch_client().indices.refresh(index=alias())


@pytest.mark.elasticsearch
def test_search_highlights_matches_and_escapes_everything_else(nstemi, people):
    _index_with_markup(people)
    html = client_for(None).get("/search?q=infarction").content.decode()
    assert "<mark>infarction</mark>" in html or "<mark>Infarction</mark>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="/codes/icd10cm/I21.4"' in html
    assert "?q=infarction&amp;system=custom" in html  # a facet link


@pytest.mark.elasticsearch
def test_search_facet_filters_and_suggestions(nstemi, people):
    _index_with_markup(people)
    html = client_for(None).get("/search?q=infarction&system=custom").content.decode()
    assert "DEMO-1" in html and "I21.4</strong>" not in html
    fragment = client_for(None).get("/search/suggest?q=non-st", **HTMX).content.decode()
    assert "<html" not in fragment and "I21.4" in fragment


@pytest.mark.elasticsearch
def test_more_results_follow_the_cursor(nstemi, people):
    from search import views as search_views

    _index_with_markup(people)
    original, search_views.PAGE_SIZE = search_views.PAGE_SIZE, 1
    try:
        first = client_for(None).get("/search?q=infarction").content.decode()
        more = re.search(r'hx-get="([^"]+cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
        fragment = client_for(None).get(f"/search{more}", **HTMX).content.decode()
        plain = client_for(None).get(f"/search{more}").content.decode()
    finally:
        search_views.PAGE_SIZE = original
    assert fragment.lstrip().startswith("<li>") and 'id="more" hx-swap-oob="true"' in fragment
    assert "<html" in plain and "result" in plain


def test_notes_are_edited_one_per_line_by_kind(nstemi, people):
    from review.actions import change_request_approve

    data = propose_data(
        common_description="A heart attack in which the ECG shows no ST-segment elevation.",
        note_inclusion_terms="Non-Q wave myocardial infarction NOS",
        note_excludes2="old myocardial infarction (I25.2)",
        note_use_additional="code to identify exposure to tobacco smoke",
        note_excludes1="  \nST elevation (STEMI) myocardial infarction (I21.0-I21.3)\n",
    )
    response = client_for(people["alice"]).post("/codes/icd10cm/I21.4/propose", data)
    assert response.status_code == 302
    entry = ChangeRequestEntry.objects.get()
    assert entry.changes == {
        "notes": {
            "inclusion_terms": ["Non-Q wave myocardial infarction NOS"],
            "excludes1": ["ST elevation (STEMI) myocardial infarction (I21.0-I21.3)"],
            "excludes2": ["old myocardial infarction (I25.2)"],
            "use_additional": ["code to identify exposure to tobacco smoke"],
        }
    }
    html = client_for(people["bob"]).get(f"/requests/{entry.change_id}").content.decode()
    assert 'Excludes1: <ins class="diff">ST elevation (STEMI)' in html
    change_request_approve(
        actor=actor_for(people["bob"]), change_id=entry.change_id, expected_version=1
    )
    page = client_for(None).get("/codes/icd10cm/I21.4").content.decode()
    assert re.search(r"<h3>Excludes1</h3>\s*<ul><li>ST elevation \(STEMI\)", page)


def test_the_proposer_withdraws_with_a_plain_post(nstemi, people):
    request = submit(people)
    alice = client_for(people["alice"])
    response = alice.post(f"/requests/{request.change_id}/withdraw", {"v": 1})
    assert response.status_code == 302
    assert selectors.change_request_detail(change_id=request.change_id).status == "withdrawn"
    page = alice.get(response["Location"]).content.decode()
    assert "The request was withdrawn." in page and "Withdrawn" in page


def test_search_says_when_elasticsearch_is_unreachable(nstemi, settings):
    import socket

    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    session_url, settings.ELASTICSEARCH_URL = settings.ELASTICSEARCH_URL, f"http://127.0.0.1:{port}"
    try:
        response = client_for(None).get("/search?q=infarction")
        suggestions = client_for(None).get("/search/suggest?q=infar", **HTMX)
    finally:
        settings.ELASTICSEARCH_URL = session_url  # the index cleanup talks to the real node
    assert response.status_code == 503
    assert "Search is temporarily unavailable" in response.content.decode()
    assert suggestions.status_code == 200  # no suggestions, no error while typing


def test_a_conflicted_request_is_rebased_by_revising_it(nstemi, people):
    from review.actions import change_request_approve

    mine = submit(people, "alice")
    other = submit(people, "eve", "Eve's wording.")
    change_request_approve(
        actor=actor_for(people["bob"]), change_id=other.change_id, expected_version=1
    )
    assert selectors.change_request_detail(change_id=mine.change_id).conflicted
    alice = client_for(people["alice"])
    page = alice.get(f"/requests/{mine.change_id}").content.decode()
    assert "conflicted" in page and "Eve&#x27;s wording." in page
    form = alice.get(f"/requests/{mine.change_id}/revise").content.decode()
    assert "What changed meanwhile (version 1 → 2)" in form
    assert "proposed by eve, approved by bob" in form
    assert 'name="base_version" value="2"' in form
    response = alice.post(
        f"/requests/{mine.change_id}/revise",
        {**propose_data(), "base_version": 2, "expected_version": 1},
    )
    assert response.status_code == 302
    entry = selectors.change_request_detail(change_id=mine.change_id)
    assert (entry.base_version, entry.status, entry.conflicted) == (2, "submitted", False)


def test_a_history_restore_gets_the_whole_queue_page(nstemi, people):
    bob = client_for(people["bob"])
    restore = bob.get("/requests/?age=7", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in restore.content.decode()
    assert "HX-Request" in restore["Vary"]


def test_sign_out_is_a_post_and_returns_home(nstemi, people):
    bob = client_for(people["bob"])
    response = bob.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Sign in" in bob.get("/").content.decode()
