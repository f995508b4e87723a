"""ValueSet $expand and $validate-code on the implicit value sets of a code system (all its
codes, or a code and those below it), through fhirpy."""

from datetime import timedelta

import pytest
from django.utils import timezone
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from codes.models import CodeEntry
from tests.fhir.conftest import CPT, ICD10CM, approve, parameter, refused

pytestmark = pytest.mark.django_db(transaction=True)  # a live server reads committed rows

EXPAND = "ValueSet/$expand"
E11 = f"{ICD10CM}?fhir_vs=isa/E11"


def codes_of(body: dict) -> list[str]:
    return [concept["code"] for concept in body["expansion"].get("contains", [])]


def test_a_subtree_expands_to_its_root_and_the_codes_below_it_in_code_order(fhir_client, codes):
    body = fhir_client.execute(EXPAND, "get", params={"url": E11})
    assert body["url"] == E11
    assert body["expansion"]["total"] == 3
    assert body["expansion"]["contains"] == [
        {"system": ICD10CM, "code": "E11", "display": "Type 2 diabetes mellitus", "abstract": True},
        {
            "system": ICD10CM,
            "code": "E11.8",
            "display": "Type 2 diabetes mellitus with unspecified complications",
        },
        {
            "system": ICD10CM,
            "code": "E11.9",
            "display": "Type 2 diabetes mellitus without complications",
        },
    ]


def test_the_whole_system_pages_with_count_and_offset(fhir_client, codes):
    url = f"{ICD10CM}?fhir_vs"
    first = fhir_client.execute(EXPAND, "get", params={"url": url, "count": 3})
    second = fhir_client.execute(EXPAND, "post", data=_parameters(url=url, count=3, offset=3))
    assert first["expansion"]["total"] == second["expansion"]["total"] == 8
    assert codes_of(first) == ["E11", "E11.8", "E11.9"]
    assert codes_of(second) == ["I21.4", "J45", "J45.9"]
    assert second["expansion"]["offset"] == 3


def _parameters(**values) -> dict:
    kinds = {"url": "valueUri", "count": "valueInteger", "offset": "valueInteger"}
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": name, kinds.get(name, "valueString"): value} for name, value in values.items()
        ],
    }


def test_an_expansion_on_a_date_lists_what_was_in_force_then(fhir_client, codes, people):
    in_a_month = timezone.localdate() + timedelta(days=30)
    approve(people, "E11.8", {"status": "retired"}, effective_from=in_a_month)
    approve(people, "E11.9", {"official_descriptor": "Type 2 diabetes, no complications"})

    today = fhir_client.execute(EXPAND, "get", params={"url": E11})
    later = fhir_client.execute(EXPAND, "get", params={"url": E11, "date": in_a_month.isoformat()})
    before = fhir_client.execute(EXPAND, "get", params={"url": E11, "date": "2025-12-01"})
    too_early = fhir_client.execute(EXPAND, "get", params={"url": E11, "date": "2025-09-30"})

    assert codes_of(today) == ["E11", "E11.8", "E11.9"]
    assert codes_of(later) == ["E11", "E11.9"]
    assert later["expansion"]["total"] == 2
    assert [c["display"] for c in before["expansion"]["contains"]][-1] == (
        "Type 2 diabetes mellitus without complications"
    )
    assert [c["display"] for c in today["expansion"]["contains"]][-1] == (
        "Type 2 diabetes, no complications"
    )
    assert too_early["expansion"]["total"] == 0


SUBTREE_SIZE = 10_050  # more than Elasticsearch's 10,000-hit window


def synthetic(code: str, title: str, *, billable: bool, parent: str, position: int):
    now = timezone.now()
    return CodeEntry(
        system="icd10cm",
        code=code,
        normalised=code.replace(".", "").lower(),
        version=1,
        in_force_version=1,
        official_descriptor=title,
        billable=billable,
        parent=parent,
        content={},
        registered_at=now,
        updated_at=now,
        position=position,
    )


def base36(n: int) -> str:
    """n as 4 letters or digits, in the order codes sort (digits before letters)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(digits[n // 36**k % 36] for k in (3, 2, 1, 0))


@pytest.fixture
def big_subtree(codes):
    """Z99 and 10,050 codes below it. Written to the read model directly, which is all an
    expansion reads: registering them through the event store takes about a minute, and the
    paging under test is the read model's."""
    rows = [synthetic("Z99", "Synthetic category", billable=False, parent="", position=10**6)]
    rows += [
        synthetic(
            f"Z99.{base36(n)}", f"Synthetic code {n}", billable=True, parent="Z99", position=n
        )
        for n in range(1, SUBTREE_SIZE + 1)
    ]
    CodeEntry.objects.bulk_create(rows, batch_size=2000)
    return [row.code for row in rows]


def test_a_subtree_larger_than_the_search_window_pages_to_its_last_code(fhir_client, big_subtree):
    url = f"{ICD10CM}?fhir_vs=isa/Z99"
    seen = []
    for offset in range(0, SUBTREE_SIZE + 1, 1000):
        page = fhir_client.execute(
            EXPAND, "get", params={"url": url, "count": 1000, "offset": offset}
        )
        assert page["expansion"]["total"] == SUBTREE_SIZE + 1
        seen += codes_of(page)
    assert seen == big_subtree  # each code once, in code order, the last ones included
    last = fhir_client.execute(EXPAND, "get", params={"url": url, "count": 5, "offset": 10_049})
    assert codes_of(last) == big_subtree[-2:]


@pytest.mark.elasticsearch
def test_a_text_filter_searches_the_index_within_the_subtree(fhir_client, indexed):
    body = fhir_client.execute(EXPAND, "get", params={"url": E11, "filter": "sugar diabetes"})
    assert codes_of(body) == ["E11.9"]
    assert body["expansion"]["total"] == 1
    everywhere = fhir_client.execute(
        EXPAND, "get", params={"url": f"{ICD10CM}?fhir_vs", "filter": "asthma"}
    )
    assert codes_of(everywhere)[0] == "J45"


def test_an_unknown_value_set_is_a_404(fhir_client, exchange, codes):
    error = refused(
        lambda: fhir_client.execute(EXPAND, "get", params={"url": "http://example.org/vs"})
    )
    assert isinstance(error, ResourceNotFound)
    assert exchange.status == 404


def test_a_malformed_fhir_vs_is_a_400(fhir_client, exchange, codes):
    error = refused(
        lambda: fhir_client.execute(EXPAND, "get", params={"url": f"{ICD10CM}?fhir_vs=refset/E11"})
    )
    assert isinstance(error, OperationOutcome)
    assert exchange.status == 400


@pytest.mark.parametrize("count", ["-1", "1001", "ten"])
def test_a_count_out_of_range_is_a_400(fhir_client, exchange, codes, count):
    refused(lambda: fhir_client.execute(EXPAND, "get", params={"url": E11, "count": count}))
    assert exchange.status == 400
    assert exchange.body["issue"][0]["expression"] == ["count"]


def test_a_licensed_system_without_the_licence_expands_to_not_found(
    fhir_client, exchange, codes, people_with_cpt
):
    client = fhir_client.with_key(people_with_cpt["other"])
    refused(lambda: client.execute(EXPAND, "get", params={"url": f"{CPT}?fhir_vs"}))
    assert exchange.status == 404
    holder = fhir_client.with_key(people_with_cpt["holder"])
    body = holder.execute(EXPAND, "get", params={"url": f"{CPT}?fhir_vs"})
    assert codes_of(body) == ["99990"]


def test_validate_code_in_a_value_set_says_whether_the_code_is_in_it(fhir_client, codes):
    inside = fhir_client.execute(
        "ValueSet/$validate-code", "get", params={"url": E11, "system": ICD10CM, "code": "E11.9"}
    )
    outside = fhir_client.execute(
        "ValueSet/$validate-code",
        "get",
        params={"url": E11, "system": ICD10CM, "code": "J45.909"},
    )
    assert parameter(inside, "result") is True
    assert parameter(outside, "result") is False
    assert parameter(outside, "message") == (
        f"J45.909 is not in the value set {E11}: it is not E11 or below it"
    )


@pytest.mark.elasticsearch
def test_filtered_pages_past_the_search_window_are_the_same_pages(
    fhir_client, indexed, monkeypatch
):
    """Beyond from/size's window, pages are walked with search_after: the window made tiny
    here, the pages must not change."""
    url = f"{ICD10CM}?fhir_vs"

    def pages():
        return [
            codes_of(
                fhir_client.execute(
                    EXPAND,
                    "get",
                    params={"url": url, "filter": "diabetes", "count": 1, "offset": offset},
                )
            )
            for offset in range(4)
        ]

    within = pages()
    monkeypatch.setattr("fhir.expansion.ES_WINDOW", 1)
    monkeypatch.setattr("fhir.expansion.WALK_CHUNK", 2)
    assert pages() == within == [["E11"], ["E11.9"], ["E11.8"], []]
