"""Search, suggest and lookup against a real Elasticsearch node, fed by the projector."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from codeledger.domain import actor_for
from events.projections import catch_up
from review.actions import change_request_approve, change_request_submit
from search.documents import alias
from tests.conftest import redis_caches

from .conftest import refresh, register_codes

pytestmark = pytest.mark.django_db


def search(**params):
    response = APIClient().get("/api/v1/codes/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def codes(result):
    return [hit["code"] for hit in result["hits"]]


@pytest.mark.parametrize("query", ["I21.4", "i214", "I214", " I21.4 ", "i21 4", "I21 .4"])
def test_a_code_like_query_puts_that_code_first(indexed, query):
    assert codes(search(q=query))[0] == "I21.4"


def test_a_category_query_returns_the_category_then_its_children(indexed):
    found = codes(search(q="I21"))
    assert found[0] == "I21"
    assert set(found[1:4]) == {"I21.4", "I21.0", "I21.01"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("emphysemia", "J43.9"),
        ("bronchitsi", "J40"),
        ("hemorroids", "K64.9"),  # one edit from the word, two from its stem
        ("Sezary", "C84.1"),
        ("sézary disease", "C84.1"),
        ("fractures of femur", "S72.001A"),
        ("broken hip", "S72.001A"),
        ("gallstones", "K80.20"),
        ("sugar diabetes", "E11.9"),
        ("heart attack", "I21"),
    ],
)
def test_text_queries_forgive_typos_fold_accents_stem_and_know_lay_terms(indexed, query, expected):
    result = search(q=query)
    assert expected in codes(result)[:3], (query, codes(result))


def test_hits_carry_titles_highlights_facets_and_the_index_position(indexed):
    result = search(q="myocardial infarction", size=3)
    hit = result["hits"][0]
    assert set(hit) >= {"system", "code", "display", "title", "highlights", "score", "billable"}
    assert any(
        "<mark>" in fragment for fragments in hit["highlights"].values() for fragment in fragments
    )
    assert result["total"] == 5
    chapters = {f["value"]: f["count"] for f in result["facets"]["chapter"]}
    assert chapters == {"diseases of the circulatory system": 5}
    assert {f["value"] for f in result["facets"]["billable"]} == {"true", "false"}
    assert result["position"] == indexed
    assert result["next_cursor"]
    rest = search(q="myocardial infarction", size=3, cursor=result["next_cursor"])
    assert len(rest["hits"]) == 2 and not set(codes(rest)) & set(codes(result))


def test_filters_narrow_the_results(indexed):
    assert set(codes(search(q="myocardial", billable="false"))) == {"I21", "I21.0"}
    assert codes(search(q="Sezary", system="icd10pcs")) == []


def test_sezary_with_and_without_accent_shows_the_title_as_written(indexed):
    assert search(q="Sezary")["hits"][0]["title"] == "Sézary disease"


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 201},
        {"size": 101},
        {"size": 0},
        {"colour": "red"},
        {"system": "icd11"},
        {"cursor": "not-a-cursor"},
        {"billable": "maybe"},
    ],
)
def test_bad_parameters_are_400_problem_details(indexed, params):
    response = APIClient().get("/api/v1/codes/search", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_query_syntax_in_user_text_is_just_text(indexed):
    for query in ['title:"x" OR *', "I21.4) AND (", "\\", '{"match_all": {}}']:
        assert APIClient().get("/api/v1/codes/search", {"q": query}).status_code == 200


@pytest.mark.django_db(transaction=True)  # the write's catch-up runs after commit
def test_read_your_writes_with_min_position(indexed, people):
    alice, bob = actor_for(people["alice"]), actor_for(people["bob"])
    change = change_request_submit(
        actor=alice,
        system="icd10cm",
        code="J40",
        base_version=1,
        changes={"official_descriptor": "Bronchitis, unqualified"},
        rationale="new wording",
    )
    approved = change_request_approve(
        actor=bob, change_id=change.change_request.change_id, expected_version=1
    )
    result = search(q="unqualified", min_position=approved.position)
    assert codes(result) == ["J40"] and result["position"] >= approved.position
    assert "J40" not in codes(search(q="not specified as acute or chronic"))


def test_min_position_beyond_the_index_is_503_with_retry_after(indexed, settings):
    settings.SEARCH_MIN_POSITION_WAIT = 0.2
    from events.store import NewEvent, append

    settings.EVENTS_CATCH_UP_AFTER_COMMIT = False  # the index stays behind this event
    later = append("account:a", [NewEvent(type="test.Anything", data={})]).position
    response = APIClient().get("/api/v1/codes/search", {"q": "x", "min_position": later})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"


def test_suggest_completes_codes_and_title_words(indexed):
    client = APIClient()
    by_code = client.get("/api/v1/codes/suggest", {"q": "I21.0"}).json()["suggestions"]
    assert by_code[0]["code"] == "I21.0"
    by_words = client.get("/api/v1/codes/suggest", {"q": "myocardial inf"}).json()["suggestions"]
    assert "I21" in [s["code"] for s in by_words]
    assert len(by_words) <= 10
    assert client.get("/api/v1/codes/suggest", {"q": ""}).status_code == 400


def suggest(q: str) -> list[dict]:
    response = APIClient().get("/api/v1/codes/suggest", {"q": q})
    assert response.status_code == 200, response.content[:300]
    return response.json()["suggestions"]


def test_suggest_lists_a_code_then_its_children_in_code_order(indexed):
    assert [s["code"] for s in suggest("I21")] == ["I21", "I21.0", "I21.01", "I21.4"]
    assert [s["code"] for s in suggest("i21.0")] == ["I21.0", "I21.01"]


def test_suggest_orders_words_that_look_like_codes_as_words(indexed):
    # Seven letters look like an ICD-10-PCS code; a code being typed has digits.
    assert suggest("myocard")[0]["code"] == "I25.2"  # the shortest title, not the first code
    assert [s["code"] for s in suggest("i21\t0")] == ["I21.0", "I21.01"]  # a tab for the dot


@pytest.mark.parametrize("typed", ["...", "\u2026", "-"])
def test_suggest_has_nothing_for_punctuation(indexed, typed):
    assert suggest(typed) == []


def test_suggest_completes_the_word_being_typed_as_typed(indexed):
    """Every word typed must match, the last as the start of a word, unstemmed: the stemmer
    would make "inf" into "f" and suggest fractures."""
    titles = [s["title"].lower() for s in suggest("myocardial inf")]
    assert titles and all("myocardial inf" in title for title in titles), titles


def test_suggest_ranks_by_what_matched_not_how_often(indexed):
    register_codes(
        {
            "E10.620": ("Type 1 diabetes mellitus with diabetic dermatitis", True, []),
            "E11": ("Type 2 diabetes mellitus", False, []),
        }
    )
    catch_up("search")
    refresh()
    codes = [s["code"] for s in suggest("diab")]
    # The curated term ("sugar diabetes") first, then the shorter title; two "diab" words in
    # one title are no better a match than one.
    assert codes == ["E11.9", "E11", "E10.620"]


@pytest.mark.parametrize(("typed", "expected"), [("gallst", "K80.20"), ("broken h", "S72.001A")])
def test_suggest_completes_lay_terms(indexed, typed, expected):
    response = APIClient().get("/api/v1/codes/suggest", {"q": typed})
    assert response.json()["suggestions"][0]["code"] == expected


def test_lookup_one_and_many(indexed):
    client = APIClient()
    one = client.get("/api/v1/codes/lookup", {"system": "icd10cm", "code": "i214"}).json()
    assert one["results"] == [
        {
            "system": "icd10cm",
            "code": "I21.4",
            "found": True,
            "valid": True,
            "billable": True,
            "status": "active",
            "title": "Non-ST elevation (NSTEMI) myocardial infarction",
            "licensed": False,
        }
    ]
    many = client.get(
        "/api/v1/codes/lookup", {"system": "icd10cm", "codes": "I21,J40,A00.0"}
    ).json()["results"]
    assert [(r["code"], r["found"], r["billable"]) for r in many] == [
        ("I21", True, False),
        ("J40", True, True),
        ("A00.0", False, False),
    ]
    bad = client.get("/api/v1/codes/lookup", {"system": "icd10cm", "codes": "I21,??"})
    assert bad.status_code == 400
    too_many = ",".join(f"A{n:02d}" for n in range(101))
    assert (
        client.get("/api/v1/codes/lookup", {"system": "icd10cm", "codes": too_many}).status_code
        == 400
    )


def test_anonymous_use_is_throttled_with_retry_after(indexed, settings, one_window):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "search_anon": "3/day",
        },
    }
    client = APIClient()
    answers = [client.get("/api/v1/codes/search", {"q": "x"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a["X-RateLimit-Limit"] == "3" for a in answers)
    refused = answers[-1]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == "43200"  # the rest of the pinned day (one_window)
    assert refused["Retry-After"] == refused["X-RateLimit-Reset"]
    # Signed in, the same client counts against its own, higher allowance.
    User.objects.create_user("reader", password="pw-reader-1")
    client.login(username="reader", password="pw-reader-1")
    assert client.get("/api/v1/codes/suggest", {"q": "x"}).status_code == 200


def test_the_api_answers_while_the_shared_cache_is_out_of_reach(indexed, settings):
    """Redis (CACHE_URL) holds rate-limit counts and kept API key grants: without it requests
    go on, unthrottled and reading keys from the database, and /healthz says it is down."""
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")  # nobody there
    settings.API_KEY_CACHE_SECONDS = 60
    anonymous = APIClient()
    search = anonymous.get("/api/v1/codes/search", {"q": "I21.4"})
    assert search.status_code == 200 and search.json()["hits"][0]["code"] == "I21.4"
    assert "X-RateLimit-Limit" not in search  # nothing counted, so nothing to say
    assert anonymous.get("/api/v1/codes/suggest", {"q": "I21"}).status_code == 200
    lookup = anonymous.get("/api/v1/codes/lookup", {"system": "icd10cm", "code": "I21.4"})
    assert lookup.status_code == 200 and lookup.json()["results"][0]["valid"]
    api_key, key = APIKey.objects.create_key(name="consumer")
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert keyed.get("/api/v1/codes/search", {"q": "I21.4"}).status_code == 200
    api_key.revoked = True
    api_key.save()  # the stamp cannot be replaced; nothing was kept, so nothing is stale
    assert keyed.get("/api/v1/codes/search", {"q": "I21.4"}).status_code == 401
    health = anonymous.get("/healthz")
    assert health.status_code == 503 and health.json()["failing"] == ["cache"]


def test_the_api_does_not_wait_on_a_hung_shared_cache(indexed, settings, hung_redis):
    """A Redis that takes connections and never answers: the first cache call waits for the
    timeout, then the breaker opens and every later call (a keyed request makes three) fails at
    once without touching it: one connection for all these requests."""
    settings.CACHES = redis_caches(hung_redis.url, timeout=0.2, retry_after=60)
    settings.API_KEY_CACHE_SECONDS = 60
    _, key = APIKey.objects.create_key(name="consumer")
    keyed, anonymous = APIClient(), APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    for q in ("I21.4", "I21", "infarction"):
        search = keyed.get("/api/v1/codes/search", {"q": q})
        assert search.status_code == 200 and search.json()["hits"]
        assert anonymous.get("/api/v1/codes/suggest", {"q": q}).json()["suggestions"]
    assert hung_redis.connections == 1
    health = anonymous.get("/healthz")
    assert health.status_code == 503 and "skipped" in health.json()["checks"]["cache"]["detail"]


def test_the_index_lives_behind_an_alias(indexed):
    from codeledger.elastic import elasticsearch_client

    physical = list(elasticsearch_client().indices.get_alias(name=alias()))
    assert len(physical) == 1 and physical[0].startswith(f"{alias()}-")


def test_min_position_beyond_the_head_is_a_400(indexed):
    response = APIClient().get("/api/v1/codes/search", {"q": "x", "min_position": 10**12})
    assert response.status_code == 400
    assert "min_position" in response.json()["errors"]


def test_a_forged_cursor_is_a_400_not_an_outage(indexed):
    from search.queries import encode_cursor

    forged = encode_cursor(["x", 1, True, "a", "b"])
    response = APIClient().get("/api/v1/codes/search", {"q": "infarction", "cursor": forged})
    assert response.status_code == 400
