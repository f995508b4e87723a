"""The release screens through Django's test client: the list, a release's batch page with its
per-item diffs, filters and paging, and the decisions (plain posts and htmx fragments)."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from codeledger.domain import actor_for
from codes.models import CodeEntry
from codesets import actions, tasks
from codesets.models import ReleaseEntry, ReleaseItem
from events.models import Event
from review import actions as review_actions

from .conftest import BASELINE, code, import_baseline, propose

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def release_id(db):
    import_baseline()
    return propose().release_id


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_of(release_id) -> str:
    return f"/releases/{release_id}/"


def statuses(release_id) -> dict:
    rows = ReleaseItem.objects.filter(release_id=release_id)
    return dict(rows.values_list("code", "status"))


# --- reading ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_list_shows_releases_newest_first_with_their_counts(release_id, people):
    actions.release_approve(actor=actor_for(people["bob"]), release_id=release_id, codes=["E11.A"])
    page = client_for(people["audrey"]).get("/releases/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/releases/{release_id}/"' in html
    assert "FY2026" in html and "cm-new" in html and "ICD-10-CM" in html
    row = html[html.index("FY2026") :]
    cells = [cell.split("<")[0] for cell in row.split('<td class="num">')[1:6]]
    assert cells == ["3", "2", "1", "0", "0"]  # items, pending, applied, rejected, conflicted
    assert "Open" in row
    assert 'href="/releases/"' in html  # the navigation link


def test_anonymous_people_sign_in_first_and_people_without_a_role_are_refused(release_id, people):
    for url in ("/releases/", page_of(release_id)):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client_for(people["nobody"]).get(url).status_code == 403
    assert 'href="/releases/"' not in client_for(None).get("/").content.decode()


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_release_page_shows_each_item_with_its_kind_and_word_diff(release_id, people):
    page = client_for(people["bob"]).get(page_of(release_id))
    html = page.content.decode()
    assert page.status_code == 200
    assert "cm-new" in html and "FY2026" in html
    assert "1 added" in html and "1 revised" in html and "1 retired" in html
    assert 'id="item-M35-04"' in html
    assert '<del class="diff">Sjogren</del><ins class="diff">Sjögren</ins>' in html
    assert "Type 2 diabetes mellitus without complications in remission" in html  # added
    assert '<del class="diff">active</del> → <ins class="diff">retired</ins>' in html
    assert 'href="/codes/icd10cm/M35.04"' in html
    assert 'href="/codes/icd10cm/E11.A"' not in html  # not registered before approval
    assert 'aria-label="Select E11.A"' in html
    assert "Approve all 3 pending" in html and "Reject selected" in html


@pytest.mark.parametrize("who", ["alice", "audrey"])
@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_editors_and_auditors_read_the_page_without_decision_controls(release_id, people, who):
    html = client_for(people[who]).get(page_of(release_id)).content.decode()
    assert "Sjögren" in html
    assert "Approve all" not in html and "Approve selected" not in html
    assert 'type="checkbox"' not in html


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_filters_select_items_and_an_htmx_filter_answers_the_items_fragment(release_id, people):
    bob = client_for(people["bob"])

    def codes(**params):
        html = bob.get(page_of(release_id), params).content.decode()
        return [c for c in ("E11.A", "M35.04", "S30.1XXA") if f'aria-label="Select {c}"' in html]

    assert codes(kind="revised") == ["M35.04"]
    assert codes(field="official_descriptor", kind="revised") == ["M35.04"]
    assert codes(code="e11") == ["E11.A"]
    assert codes(kind="nonsense") == ["E11.A", "M35.04", "S30.1XXA"]  # a bad value is dropped
    fragment = bob.get(
        page_of(release_id), {"kind": "retired"}, HTTP_HX_TARGET="release-items", **HTMX
    )
    html = fragment.content.decode()
    assert "<html" not in html and 'id="release-items-form"' in html
    assert "S30.1XXA" in html and "M35.04" not in html
    assert 'id="batch-query"' in html and 'value="kind=retired"' in html  # approve-all follows
    assert "HX-Request" in fragment["Vary"]


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_status_and_conflict_filters_follow_decisions(release_id, people):
    bob = actor_for(people["bob"])
    actions.release_reject(actor=bob, release_id=release_id, codes=["E11.A"], reason="later")
    html = client_for(people["bob"]).get(page_of(release_id), {"status": "rejected"})
    html = html.content.decode()
    assert 'id="item-E11-A"' in html and 'id="item-M35-04"' not in html
    assert "later" in html and "by bob" in html
    html = client_for(people["bob"]).get(page_of(release_id), {"conflicted": "yes"})
    assert "No items match these filters." in html.content.decode()


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_items_are_paged_by_fifty_and_more_works_with_and_without_htmx(people):
    many = [code(f"A{n:02d}.9", f"Test disease number {n}") for n in range(60)]
    import_baseline()
    release_id = propose([*BASELINE, *many]).release_id
    bob = client_for(people["bob"])
    first = bob.get(page_of(release_id), {"kind": "added"}).content.decode()
    assert first.count('type="checkbox"') == 50
    assert "Items 1 to 50 of 60" in first
    more = "?kind=added&amp;page=2&amp;first=1"
    assert f'href="{more}"' in first and f'hx-get="{more}"' in first  # filters kept
    plain = bob.get(page_of(release_id), {"kind": "added", "page": 2}).content.decode()
    assert plain.count('type="checkbox"') == 10 and "Items 51 to 60 of 60" in plain
    assert 'href="?kind=added&amp;page=1"' in plain  # previous
    fragment = bob.get(
        page_of(release_id),
        {"kind": "added", "page": 2, "first": 1},
        HTTP_HX_TARGET="item-rows",
        **HTMX,
    ).content.decode()
    assert "<html" not in fragment and "<table" not in fragment
    assert fragment.count("<tr ") == 10 and "A59.9" in fragment
    assert 'id="items-more"' in fragment and 'hx-swap-oob="true"' in fragment
    assert "Items 1 to 60 of 60" in fragment and "Next 50 items" not in fragment


# --- deciding -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_approving_selected_items_with_a_plain_post_applies_them_and_redirects(release_id, people):
    bob = client_for(people["bob"])
    response = bob.post(
        f"/releases/{release_id}/approve",
        {"codes": ["E11.A", "M35.04"], "query": "kind=added"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/releases/{release_id}/?kind=added"
    assert statuses(release_id) == {"E11.A": "applied", "M35.04": "applied", "S30.1XXA": "pending"}
    assert CodeEntry.objects.get(code="M35.04").official_descriptor.startswith("Sjögren")
    html = bob.get(response["Location"]).content.decode()
    assert "Approved 2 items." in html
    assert "Applied" in html and "by bob" in html
    assert 'aria-label="Select E11.A"' not in html


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_approving_selected_items_with_htmx_updates_rows_counts_and_panel_in_place(
    release_id, people
):
    response = client_for(people["bob"]).post(
        f"/releases/{release_id}/approve", {"codes": ["E11.A"], "query": ""}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="release-actions"' in html and "Approved 1 item." in html
    assert '<tr id="item-E11-A" hx-swap-oob="true">' in html and "<template>" in html
    assert 'id="release-counts"' in html and '<strong id="count-pending">2</strong>' in html
    assert 'id="release-batch"' in html and "Approve all 2 pending" in html
    assert "releaseDecided" in response["HX-Trigger"]
    assert statuses(release_id)["E11.A"] == "applied"


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_rejecting_without_a_reason_says_so_by_the_field_and_writes_nothing(release_id, people):
    events = Event.objects.count()
    bob = client_for(people["bob"])
    plain = bob.post(f"/releases/{release_id}/reject", {"codes": ["S30.1XXA"], "reason": " "})
    html = plain.content.decode()
    assert plain.status_code == 200
    assert 'id="items_reason_error"' in html and "Give a reason for rejecting" in html
    assert 'aria-label="Select S30.1XXA" checked' in html  # the selection is kept
    fragment = bob.post(f"/releases/{release_id}/reject", {"codes": ["S30.1XXA"]}, **HTMX)
    assert "Give a reason for rejecting" in fragment.content.decode()
    nothing = bob.post(f"/releases/{release_id}/approve", {"codes": []}, **HTMX)
    assert "Select items first" in nothing.content.decode()
    assert Event.objects.count() == events
    assert set(statuses(release_id).values()) == {"pending"}


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_rejecting_selected_items_with_a_reason_records_it(release_id, people):
    response = client_for(people["bob"]).post(
        f"/releases/{release_id}/reject",
        {"codes": ["S30.1XXA"], "reason": "We still report it this year."},
        **HTMX,
    )
    html = response.content.decode()
    assert "Rejected 1 item." in html and "We still report it this year." in html
    item = ReleaseItem.objects.get(release_id=release_id, code="S30.1XXA")
    assert (item.status, item.reason, item.decided_by) == (
        "rejected",
        "We still report it this year.",
        "bob",
    )
    assert CodeEntry.objects.get(code="S30.1XXA").status == "active"


@pytest.mark.parametrize("who", ["alice", "audrey"])
def test_editors_and_auditors_cannot_post_decisions(release_id, people, who):
    events = Event.objects.count()
    client = client_for(people[who])
    for action, data in (
        ("approve", {"codes": ["E11.A"]}),
        ("reject", {"codes": ["E11.A"], "reason": "no"}),
        ("approve-all", {}),
    ):
        assert client.post(f"/releases/{release_id}/{action}", data).status_code == 403
    assert Event.objects.count() == events


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_items_decided_meanwhile_give_a_conflict_and_change_nothing(release_id, people):
    carol = actor_for(people["carol"])
    actions.release_approve(actor=carol, release_id=release_id, codes=["E11.A"])
    events = Event.objects.count()
    bob = client_for(people["bob"])
    plain = bob.post(f"/releases/{release_id}/approve", {"codes": ["E11.A", "S30.1XXA"]})
    html = plain.content.decode()
    assert plain.status_code == 409
    assert "Someone decided 1 item of your selection first: E11.A (applied by carol)" in html
    assert "not applied to any item" in html
    fragment = bob.post(
        f"/releases/{release_id}/reject", {"codes": ["E11.A", "S30.1XXA"], "reason": "x"}, **HTMX
    )
    html = fragment.content.decode()
    assert fragment.status_code == 200  # htmx swaps 2xx answers only
    assert "applied by carol" in html
    assert (
        '<tr id="item-E11-A" hx-swap-oob="true">' in html and "<template>" in html
    )  # its row catches up
    assert 'aria-label="Select S30.1XXA" checked' in html
    assert Event.objects.count() == events
    assert statuses(release_id)["S30.1XXA"] == "pending"


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_an_approval_that_conflicts_with_an_editors_change_shows_the_current_values(
    release_id, people
):
    edit = review_actions.change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="M35.04",
        base_version=1,
        changes={"official_descriptor": "Sjogren syndrome with TIN"},
        rationale="shorter",
    )
    review_actions.change_request_approve(
        actor=actor_for(people["carol"]),
        change_id=edit.change_request.change_id,
        expected_version=1,
    )
    response = client_for(people["bob"]).post(
        f"/releases/{release_id}/approve", {"codes": ["M35.04", "E11.A"]}, **HTMX
    )
    html = response.content.decode()
    assert "Approved 1 item." in html
    assert "1 item could not be applied because the code changed" in html and "M35.04" in html
    assert "Sjogren syndrome with TIN" in html  # the current value, in the row
    assert '<strong id="count-conflicted">1</strong>' in html
    page = client_for(people["bob"]).get(page_of(release_id), {"conflicted": "yes"})
    html = page.content.decode()
    assert 'id="item-M35-04"' in html and "Conflict:" in html
    assert "Sjogren syndrome with TIN" in html


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_approve_all_with_htmx_applies_every_pending_item_and_redraws_the_items(release_id, people):
    response = client_for(people["bob"]).post(
        f"/releases/{release_id}/approve-all", {"note": "FY2026", "query": "kind=added"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="release-items-form"' in html and "</strong> item matches these filters" in html
    assert "Approved 3 items." in html and "Every item has been decided." in html
    assert '<span class="status status-completed">Completed</span>' in html
    assert "releaseDecided" in response["HX-Trigger"]
    assert ReleaseEntry.objects.get(release_id=release_id).status == "completed"


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_large_approve_all_is_queued_and_applied_by_the_task(release_id, people, monkeypatch):
    monkeypatch.setattr(tasks, "RELEASE_SYNC_LIMIT", 1)
    bob = client_for(people["bob"])
    assert "they are applied in the background" in bob.get(page_of(release_id)).content.decode()
    response = bob.post(f"/releases/{release_id}/approve-all", {"note": ""})
    assert response.status_code == 302
    html = bob.get(response["Location"]).content.decode()
    assert "Approving all 3 pending items runs in the background" in html
    # Tests run Celery eagerly after commit: the task has applied every item by now.
    assert ReleaseEntry.objects.get(release_id=release_id).status == "completed"


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_the_importer_cannot_decide_their_own_release(release_id, people):
    importer = User.objects.create_user("system", password="pw-system")
    importer.groups.add(Group.objects.get_or_create(name="reviewer")[0])
    client = client_for(importer)
    html = client.get(page_of(release_id)).content.decode()
    assert "another reviewer must decide it (four-eyes rule)" in html
    assert "Approve all" not in html
    events = Event.objects.count()
    response = client.post(f"/releases/{release_id}/approve-all", {})
    assert response.status_code == 403
    assert "someone else must approve it (four-eyes rule)" in response.content.decode()
    assert client.post(f"/releases/{release_id}/approve", {"codes": ["E11.A"]}).status_code == 403
    assert Event.objects.count() == events


def test_an_unknown_release_is_a_readable_404(people):
    missing = "00000000-0000-0000-0000-000000000000"
    bob = client_for(people["bob"])
    assert bob.get(page_of(missing)).status_code == 404
    assert bob.post(f"/releases/{missing}/approve", {"codes": ["E11.A"]}).status_code == 404


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_decisions_need_the_csrf_token(release_id, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["bob"])
    assert client.post(f"/releases/{release_id}/approve-all", {}).status_code == 403
    assert set(statuses(release_id).values()) == {"pending"}
