"""Elasticsearch down: writes still succeed, search answers 503, the index catches up later."""

import pytest
from rest_framework.test import APIClient

from codes.models import CodeEntry
from events.models import ProjectorState
from events.projections import catch_up

from .conftest import refresh, register_codes


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_search_answers_503_while_elasticsearch_is_down_and_catches_up_after(
    own_elasticsearch_node,
):
    own_elasticsearch_node.stop()

    position = register_codes({"J40": ("Bronchitis, not specified as acute or chronic", True, [])})
    assert CodeEntry.objects.filter(code="J40").exists()  # the write and its read model
    state = ProjectorState.objects.get(name="search")
    assert state.checkpoint < position and state.failures == 0  # transient: never halts
    assert "Connection" in state.last_error

    response = APIClient().get("/api/v1/codes/search", {"q": "bronchitis"})
    assert response.status_code == 503
    assert response.json()["detail"].startswith("search is temporarily unavailable")
    assert response["Retry-After"]

    own_elasticsearch_node.start()
    assert catch_up("search", force=True).checkpoint == position
    refresh()
    hits = APIClient().get("/api/v1/codes/search", {"q": "bronchitis"}).json()["hits"]
    assert [hit["code"] for hit in hits] == ["J40"]
