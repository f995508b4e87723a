"""The proposal screen edits related codes and the hierarchy too (plain form posts)."""

import pytest

from codes.content import empty_content
from codesets.actions import code_register
from events.models import Event
from review.models import ChangeRequestEntry

pytestmark = pytest.mark.django_db

PROPOSE = "/codes/icd10cm/I21.4/propose"


@pytest.fixture
def editor(client, people, nstemi):
    client.force_login(people["alice"])
    return client


def form_values(client) -> dict:
    """What the form sends when submitted unchanged (its prefilled values)."""
    page = client.get(PROPOSE)
    assert page.status_code == 200
    form = page.context["form"]
    values = {name: form[name].value() for name in form.fields}
    values = {name: value for name, value in values.items() if value not in (None, False)}
    return {**values, "rationale": "CMS tabular FY2027"}


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_related_codes_and_the_hierarchy_are_proposed_like_any_field(editor):
    values = form_values(editor)
    values.update(
        related="i25.2 excludes2\nicd10pcs:02703DZ see_also\nF17.- use_additional",
        parent="I21",
        block="Ischemic heart diseases (I20-I25)",
    )
    response = editor.post(PROPOSE, values)
    assert response.status_code == 302, response.context["form"].errors
    request = ChangeRequestEntry.objects.get()
    assert request.changes["related"] == [
        {"system": "icd10cm", "code": "I25.2", "relation": "excludes2"},
        {"system": "icd10pcs", "code": "02703DZ", "relation": "see_also"},
        {"system": "icd10cm", "code": "F17.-", "relation": "use_additional"},
    ]
    assert set(request.changes) == {"related"}  # parent and block were unchanged


def test_a_bad_related_line_is_named_next_to_the_field_and_nothing_is_written(editor):
    before = Event.objects.count()
    values = {**form_values(editor), "related": "I25.2 excludes2\nI25.9 cousin"}
    response = editor.post(PROPOSE, values)
    assert response.status_code == 200
    errors = response.context["form"].errors["related"]
    assert errors == ["Line 2 (“I25.9 cousin”): “cousin” is not a relation"]
    assert Event.objects.count() == before


def test_the_form_is_prefilled_with_related_codes_and_the_preview_shows_them(editor, people):
    code_register(
        system="icd10cm",
        code="I25.2",
        content={
            "official_descriptor": "Old myocardial infarction",
            "related": [{"system": "icd10cm", "code": "I21.4", "relation": "see_also"}],
        },
        source="test",
    )
    page = editor.get("/codes/icd10cm/I25.2/propose")
    assert page.context["form"]["related"].value() == "I21.4 see_also"
    preview = editor.post(
        "/codes/icd10cm/I25.2/propose/preview",
        {"related": "I21.4 see_also\nI21.9 see_also"},
        HTTP_HX_REQUEST="true",
    )
    assert preview.status_code == 200
    assert "I21.9" in preview.content.decode()


NEW = {
    "base_version": "0",
    "system": "icd10cm",
    "code": "i21.b",
    "official_descriptor": "Myocardial infarction with coronary microvascular dysfunction",
    "billable": "on",
    "status": "active",
    "related": "I21.4 see_also",
    "rationale": "FY2026 addition",
}


@pytest.mark.django_db(transaction=True)  # reads what catches up after commit
def test_a_new_code_is_proposed_from_its_own_screen(editor):
    assert editor.get("/codes/new").status_code == 200
    response = editor.post("/codes/new", NEW)
    assert response.status_code == 302, response.context["form"].errors
    request = ChangeRequestEntry.objects.get()
    assert (request.is_new, request.code, request.base_version) == (True, "I21.B", 0)
    assert request.changes["official_descriptor"] == NEW["official_descriptor"]
    assert request.changes["billable"] is True
    assert request.changes["related"] == [
        {"system": "icd10cm", "code": "I21.4", "relation": "see_also"}
    ]
    assert response["Location"] == f"/requests/{request.change_id}"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "I21.4"}, "code", "I21.4 already exists in ICD-10-CM"),
        ({"code": "not a code"}, "code", ""),
        ({"system": "klingon"}, "system", "not one of the available choices"),
        ({"rationale": ""}, "rationale", "a rationale is required"),
    ],
)
def test_a_bad_new_code_is_named_next_to_its_field_and_writes_nothing(
    editor, changes, field, message
):
    before = Event.objects.count()
    response = editor.post("/codes/new", {**NEW, **changes})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors and errors
    assert Event.objects.count() == before


def test_only_proposers_open_the_new_code_screen(client, people, nstemi):
    client.force_login(people["audrey"])
    assert client.get("/codes/new").status_code == 403


def _register_i21_9(common_description: str = "") -> None:
    content = {**empty_content(), "official_descriptor": "Acute myocardial infarction, unspecified"}
    content["common_description"] = common_description
    code_register(system="icd10cm", code="I21.9", content=content, source="test", release="FY2025")


def test_a_start_from_the_generated_explanation_prefills_an_empty_description(editor):
    """The code page's "Write a reviewed description from this text" opens the form with the
    generated text in place; nothing is written until the editor sends it."""
    _register_i21_9()
    before = Event.objects.count()
    page = editor.get("/codes/icd10cm/I21.9/propose", {"common_description": "A heart attack."})
    assert page.context["form"]["common_description"].value() == "A heart attack."
    assert Event.objects.count() == before


def test_a_start_never_replaces_a_reviewed_description(editor):
    _register_i21_9(common_description="Reviewed words.")
    page = editor.get("/codes/icd10cm/I21.9/propose", {"common_description": "Generated words."})
    assert page.context["form"]["common_description"].value() == "Reviewed words."
