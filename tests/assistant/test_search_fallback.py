"""A condition the Alphabetic Index does not hold: CasePilot offers what search ranks first,
said to be search matches, each cited as such (Elasticsearch)."""

import pytest

from codeledger.elastic import elasticsearch_client
from events.projections import catch_up
from search.documents import alias

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.elasticsearch]


@pytest.fixture
def searchable(content):
    # The search projector reads code histories from its bulk threads: real commits needed.
    catch_up("search")
    elasticsearch_client().indices.refresh(index=alias())


def test_a_condition_only_search_knows_is_answered_with_search_matches(searchable, ask_as):
    body = ask_as("free", {"question": "Which code for end stage renal disease?"}).json()
    assert body["intent"] == "which_code"
    assert body["answer"].startswith(
        "The Alphabetic Index has no entry for “end stage renal disease”. Search ranks these "
        "codes first: N18.6 “End stage renal disease”"
    )
    assert body["citations"][0]["code"] == "N18.6"
    assert {c["field"] for c in body["citations"]} == {"search"}
