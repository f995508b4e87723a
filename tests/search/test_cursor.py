"""Paging past 10,000 hits with the search_after cursor: every code once, in a stable order."""

import pytest
from rest_framework.test import APIClient

from codesets.importing import import_codes
from codesets.sources import SourceCode
from events.projections import catch_up

from .conftest import refresh

COUNT = 10_500


@pytest.mark.slow
@pytest.mark.elasticsearch
@pytest.mark.django_db
def test_the_cursor_walks_more_than_ten_thousand_hits_exactly_once(settings):
    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False  # one catch-up at the end is faster
    codes = [
        SourceCode(
            "icd10cm",
            f"T{n // 1000:02d}.{n % 1000:03d}",
            {"official_descriptor": f"Synthetic poisoning condition {n}", "billable": n % 2 == 0},
        )
        for n in range(COUNT)
    ]
    import_codes(lambda: iter(codes), system="icd10cm", source="synthetic", release="t")
    assert catch_up("search").status == "caught_up"
    refresh()

    client, seen, cursor, pages = APIClient(), [], None, 0
    while True:
        params = {"q": "synthetic poisoning", "size": 100}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/codes/search", params).json()
        assert body["total"] == COUNT
        seen += [hit["code"] for hit in body["hits"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == COUNT == len(set(seen))
    assert pages == COUNT // 100 + 1
    facets = {f["value"]: f["count"] for f in body["facets"]["billable"]}
    assert facets == {"true": COUNT // 2, "false": COUNT // 2}
