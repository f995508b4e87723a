"""The query parameters of search, suggest and lookup are checked per request, though their
fields are built once for all requests (search.api.QueryParams): nothing of one request's
parameters or errors reaches another's answer, in turn or at once."""

import threading

import pytest
from rest_framework.test import APIClient

from search.api import LookupParams, SearchParams


@pytest.mark.django_db
def test_each_bad_request_is_told_about_its_own_parameters():
    first = APIClient().get("/api/v1/codes/search", {"q": "asthma", "size": 0})
    second = APIClient().get("/api/v1/codes/search", {"q": "asthma", "colour": "red"})
    third = APIClient().get("/api/v1/codes/lookup", {"system": "icd10cm"})

    assert (first.status_code, second.status_code, third.status_code) == (400, 400, 400)
    assert first.json()["errors"] == {"size": ["Ensure this value is greater than or equal to 1."]}
    assert second.json()["errors"] == {"colour": ["unknown field"]}
    assert third.json()["errors"] == {"code": ["give code= or codes="]}


def test_parameters_checked_at_once_in_threads_keep_their_own_values():
    sizes = list(range(1, 17))
    start = threading.Barrier(len(sizes))
    got: dict[int, object] = {}

    def check(size: int) -> None:
        start.wait()
        params = SearchParams(data={"q": f"query {size}", "size": str(size)})
        params.is_valid(raise_exception=True)
        lookup = LookupParams(data={"system": "icd10cm", "codes": f"I21.{size % 10}"})
        lookup.is_valid(raise_exception=True)
        data = params.validated_data
        got[size] = (data["q"], data["size"], lookup.validated_data["list"])

    threads = [threading.Thread(target=check, args=(size,)) for size in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert got == {size: (f"query {size}", size, [f"I21.{size % 10}"]) for size in sizes}
