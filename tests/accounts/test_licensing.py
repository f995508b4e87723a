"""Licensed content (a made-up CPT code set, never real CPT text) reaches only people and API
keys whose organisation holds the licence: not through the page, the API (content, history,
diff, as-of), search hits and highlights, suggestions or lookups."""

import time
import uuid
from datetime import date, timedelta

import pytest
import redis
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from accounts.licensing import GENERATION_KEY, GRANTS
from accounts.models import Licence, Membership, Organisation, OrganisationApiKey
from codeledger.domain import actor_for
from codeledger.elastic import elasticsearch_client
from codes.systems import SYSTEMS
from events.projections import catch_up
from events.testing import catch_up_each
from review.actions import change_request_approve, change_request_submit
from search.documents import alias
from tests.conftest import make_user, redis_caches

from .conftest import SECRET_WORDS

CODE = "/codes/cpt/99990"
API = "/api/v1/codes/cpt/99990"


def leaks(text: str) -> list[str]:
    return [word for word in SECRET_WORDS if word in text.lower()]


@pytest.fixture
def licensed(transactional_db, es_namespace, fake_cpt, people):
    """The made-up CPT code, revised once (a history and a diff to read), indexed; an
    organisation holding a CPT licence with one member and one API key, and one without."""
    request = change_request_submit(
        actor=actor_for(people["alice"]),
        system="cpt",
        code="99990",
        base_version=1,
        changes={"official_descriptor": "Zebrafinch calibration of the quuxometer, per hour"},
        rationale="The zebrafinch sessions are billed per hour.",
    ).change_request
    change_request_approve(
        actor=actor_for(people["bob"]), change_id=request.change_id, expected_version=1
    )
    catch_up_each("codes", "review", "codesets")
    catch_up("search")
    elasticsearch_client().indices.refresh(index=alias())
    holder = Organisation.objects.create(name="Licensed Clinic")
    Licence.objects.create(organisation=holder, system="cpt")
    other = Organisation.objects.create(name="Unlicensed Clinic")
    member = make_user("member")
    Membership.objects.create(user=member, organisation=holder)
    outsider = make_user("outsider")
    Membership.objects.create(user=outsider, organisation=other)
    keys = {}
    for name, organisation in (("holder", holder), ("other", other), ("loose", None)):
        key_object, keys[name] = APIKey.objects.create_key(name=name)
        if organisation:
            OrganisationApiKey.objects.create(api_key=key_object, organisation=organisation)
    return {"holder": holder, "member": member, "outsider": outsider, "keys": keys}


def page_client(user=None, **kwargs):
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def api_client(key=None, user=None):
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    if user:
        client.force_authenticate(user)
    return client


def everything_a_reader_can_fetch(page, api) -> str:
    """Every page and API answer that could carry the code's text, concatenated. Queries use
    words of the text that are not among SECRET_WORDS (pages repeat the query)."""
    answers = [
        page.get(CODE),
        page.get("/search", {"q": "calibration session"}),
        page.get("/search", {"q": "99990"}),
        page.get("/search/suggest", {"q": "zebraf"}),
        api.get(API),
        api.get(f"{API}/history"),
        api.get(f"{API}/diff", {"from": 1, "to": 2}),
        api.get(API, {"as_of": date.today().isoformat()}),
        api.get("/api/v1/codes/search", {"q": "calibration session"}),
        api.get("/api/v1/codes/search", {"q": "99990"}),
        api.get("/api/v1/codes/suggest", {"q": "zebraf"}),
        api.get("/api/v1/codes/lookup", {"system": "cpt", "code": "99990"}),
    ]
    for answer in answers:
        assert answer.status_code == 200, (answer.status_code, answer.content[:300])
    return "\n".join(answer.content.decode() for answer in answers)


@pytest.mark.parametrize(
    "who", ["guest", "registered", "outsider", "reviewer", "loose key", "other key"]
)
def test_licensed_content_never_reaches_readers_without_the_licence(licensed, people, who):
    user = {
        "registered": make_user("someone"),
        "outsider": licensed["outsider"],
        "reviewer": people["bob"],
    }.get(who)
    key = {"loose key": licensed["keys"]["loose"], "other key": licensed["keys"]["other"]}.get(who)
    text = everything_a_reader_can_fetch(page_client(user), api_client(key, user))
    assert leaks(text) == []


def test_without_the_licence_the_page_shows_the_code_and_says_it_is_licensed(licensed):
    html = page_client().get(CODE).content.decode()
    assert "99990" in html and "Licensed descriptor" in html
    assert "American Medical Association" in html  # whose licence it is
    body = api_client().get(API).json()
    assert body["content"]["official_descriptor"] == ""
    assert "official_descriptor" in body["withheld"]
    assert body["attribution"]["official_descriptor"]["restricted"] is True
    lookup = api_client().get("/api/v1/codes/lookup", {"system": "cpt", "code": "99990"}).json()
    assert lookup["results"][0] | {"title": None} == lookup["results"][0]
    assert lookup["results"][0]["found"] and lookup["results"][0]["licensed"]


def test_a_member_of_a_licensed_organisation_reads_everything(licensed):
    page = page_client(licensed["member"])
    html = page.get(CODE).content.decode()
    assert "Zebrafinch calibration of the quuxometer, per hour" in html
    assert "A pretend procedure" in html
    hits = page.get("/search", {"q": "calibration session"}).content.decode()
    assert "<mark>" in hits and "99990" in hits  # the query the others ran finds it
    assert "Zebrafinch" in page.get("/search/suggest", {"q": "zebraf"}).content.decode()


def test_an_api_key_of_a_licensed_organisation_reads_everything(licensed):
    client = api_client(licensed["keys"]["holder"])
    body = client.get(API).json()
    assert body["content"]["official_descriptor"].startswith("Zebrafinch")
    assert body["withheld"] == []
    history = client.get(f"{API}/history").json()["versions"]
    assert "zebrafinch" in history[-1]["rationale"].lower()
    hits = client.get("/api/v1/codes/search", {"q": "calibration session"}).json()["hits"]
    assert [hit["code"] for hit in hits] == ["99990"]
    assert "<mark>calibration</mark>" in str(hits[0]["highlights"]).lower()
    assert hits[0]["title"].startswith("Zebrafinch")


def systems_read_now():
    """A process reads the file-defined code systems at most every few seconds
    (codes.systems.REFRESH_SECONDS): read them now, so the requests counted below do not."""
    SYSTEMS.forget()
    len(SYSTEMS)


def test_an_api_key_search_reads_the_key_once(licensed, django_assert_num_queries, settings):
    client = api_client(licensed["keys"]["holder"])
    systems_read_now()
    # The key with its organisation, the organisation's licences, the index's position: the
    # permission, the licence check and the throttle share the one key lookup.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/codes/search", {"q": "calibration session"})
    assert response.status_code == 200 and response.json()["hits"][0]["code"] == "99990"
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["search_key"]
    assert response["X-RateLimit-Limit"] == rate.split("/")[0]  # the key's allowance


@pytest.fixture
def kept_grants(settings, redis_url):
    """Production's setting: the cache is Redis (a key prefix of this test's own), and API
    keys' grants are kept in memory between requests."""
    settings.CACHES = redis_caches(redis_url, key_prefix=f"test-{uuid.uuid4().hex}")
    settings.API_KEY_CACHE_SECONDS = 60
    GRANTS.clear()
    yield
    GRANTS.clear()


def search_codes(client, q="calibration session") -> list[str]:
    response = client.get("/api/v1/codes/search", {"q": q})
    assert response.status_code == 200, response.content[:300]
    return [hit["code"] for hit in response.json()["hits"]]


def test_a_kept_key_is_read_from_the_database_once(
    licensed, kept_grants, django_assert_num_queries
):
    client = api_client(licensed["keys"]["holder"])
    systems_read_now()
    with django_assert_num_queries(3):  # the key with its organisation, its licences, position
        assert search_codes(client) == ["99990"]
    with django_assert_num_queries(1):  # the index's position only
        assert search_codes(client) == ["99990"]
    forged = licensed["keys"]["holder"].partition(".")[0] + ".not-the-secret"
    assert api_client(forged).get(API).status_code == 401  # kept by the whole key


def test_a_revoked_key_is_refused_at_once_though_it_was_kept(
    licensed, kept_grants, redis_url, settings
):
    key = licensed["keys"]["holder"]
    client = api_client(key)
    assert search_codes(client) == ["99990"]
    stamp = redis.Redis.from_url(redis_url)
    pattern = f"{settings.CACHES['default']['KEY_PREFIX']}:*{GENERATION_KEY}"
    before = {name: stamp.get(name) for name in stamp.keys(pattern)}
    api_key = APIKey.objects.get_from_key(key)
    api_key.revoked = True
    api_key.save()
    assert client.get("/api/v1/codes/search", {"q": "x"}).status_code == 401
    # The stamp every process compares its kept grants with lives in Redis: it was replaced.
    after = {name: stamp.get(name) for name in stamp.keys(pattern)}
    assert len(before) == len(after) == 1 and after != before


def test_a_kept_key_follows_its_organisations_licence(licensed, kept_grants):
    client = api_client(licensed["keys"]["holder"])
    assert search_codes(client) == ["99990"]
    Licence.objects.get(organisation=licensed["holder"], system="cpt").delete()
    assert search_codes(client) == []  # CPT is left out at once
    assert leaks(everything_a_reader_can_fetch(page_client(), client)) == []
    Licence.objects.create(organisation=licensed["holder"], system="cpt", valid_until=date.today())
    assert search_codes(client) == ["99990"]


def test_a_kept_key_expires_on_time(licensed, kept_grants):
    api_key, key = APIKey.objects.create_key(
        name="brief", expiry_date=timezone.now() + timedelta(seconds=1)
    )
    OrganisationApiKey.objects.create(api_key=api_key, organisation=licensed["holder"])
    client = api_client(key)
    assert search_codes(client) == ["99990"]
    time.sleep(1.2)
    assert client.get(API).status_code == 401


def test_changes_no_signal_announces_are_honoured_within_the_bound(licensed, kept_grants, settings):
    settings.API_KEY_CACHE_SECONDS = 2
    client = api_client(licensed["keys"]["holder"])
    assert search_codes(client) == ["99990"]
    prefix = licensed["keys"]["holder"].partition(".")[0]
    APIKey.objects.filter(prefix=prefix).update(revoked=True)  # sends no signal
    assert search_codes(client) == ["99990"]  # still kept: the documented bound
    time.sleep(2.1)
    assert client.get(API).status_code == 401


def test_a_stamp_that_comes_back_does_not_bring_back_what_was_kept(licensed, kept_grants):
    """A Redis restart or failover can bring back an older stamp: a process drops what it
    kept whenever the stamp is not the one it last saw, so nothing kept under the old stamp
    revives."""
    first, second = (api_client(licensed["keys"][name]) for name in ("holder", "other"))
    assert search_codes(first) == ["99990"] and search_codes(second) == []  # both kept
    old = cache.get(GENERATION_KEY)
    APIKey.objects.update(revoked=True)  # sends no signal: only the stamp can tell
    cache.set(GENERATION_KEY, "a-newer-stamp", timeout=None)
    assert first.get(API).status_code == 401
    cache.set(GENERATION_KEY, old, timeout=None)  # the old stamp is back
    assert second.get(API).status_code == 401


def test_kept_grants_are_dropped_while_the_cache_is_out_of_reach(licensed, kept_grants, settings):
    key = licensed["keys"]["holder"]
    client = api_client(key)
    assert search_codes(client) == ["99990"]  # kept, Redis up
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")  # nobody there
    api_key = APIKey.objects.get_from_key(key)
    api_key.revoked = True
    api_key.save()  # the new stamp cannot be written (logged)
    assert client.get(API).status_code == 401


def test_an_expired_licence_is_no_licence(licensed):
    Licence.objects.update(valid_until=date.today() - timedelta(days=1))
    text = everything_a_reader_can_fetch(
        page_client(licensed["member"]), api_client(licensed["keys"]["holder"])
    )
    assert leaks(text) == []


def test_public_domain_systems_need_no_licence(codes):
    _, key = APIKey.objects.create_key(name="any consumer")
    body = api_client(key).get("/api/v1/codes/icd10cm/A00.0").json()
    assert body["withheld"] == []
    assert body["attribution"]["official_descriptor"]["licence"] == "Public domain"
    assert body["attribution"]["common_description"]["source"].startswith("Written by")


# --- the editorial workflow: its diffs are the licensed text --------------------------------


@pytest.fixture
def open_cpt_request(licensed, people):
    return change_request_submit(
        actor=actor_for(people["alice"]),
        system="cpt",
        code="99990",
        base_version=2,
        changes={"short_descriptor": "Zebrafinch quuxometer hour"},
        rationale="Shorter.",
    ).change_request


def test_staff_without_the_licence_neither_read_nor_work_on_licensed_requests(
    open_cpt_request, people
):
    change_id = open_cpt_request.change_id
    bob = api_client(user=people["bob"])
    listed = bob.get("/api/v1/change-requests", {"status": "submitted"}).json()["results"]
    assert listed == []
    for response in (
        bob.get(f"/api/v1/change-requests/{change_id}"),
        bob.post(
            f"/api/v1/change-requests/{change_id}/approve", {"expected_version": 1}, format="json"
        ),
        bob.post(
            "/api/v1/change-requests",
            {
                "system": "cpt",
                "code": "99990",
                "base_version": 2,
                "changes": {"short_descriptor": "x"},
                "rationale": "x",
            },
            format="json",
        ),
    ):
        assert response.status_code == 403, response.content
        assert "needs your organisation's CPT licence" in response.json()["detail"]
    screens = page_client(people["bob"])
    assert screens.get(f"/requests/{change_id}").status_code == 403
    assert screens.get("/codes/cpt/99990/propose").status_code == 403
    queue = screens.get("/requests/").content.decode()
    assert leaks(queue) == [] and "99990" not in queue
    mine = page_client(people["alice"]).get("/requests/mine").content.decode()
    assert "99990" not in mine  # her own request too: she holds no licence


def test_staff_of_a_licensed_organisation_work_on_licensed_requests(
    open_cpt_request, people, licensed
):
    Membership.objects.create(user=people["carol"], organisation=licensed["holder"])
    carol = api_client(user=people["carol"])
    listed = carol.get("/api/v1/change-requests", {"status": "submitted"}).json()["results"]
    assert [row["code"] for row in listed] == ["99990"]
    approved = carol.post(
        f"/api/v1/change-requests/{open_cpt_request.change_id}/approve",
        {"expected_version": 1},
        format="json",
    )
    assert approved.status_code == 200, approved.content
    assert page_client(people["carol"]).get("/codes/cpt/99990/propose").status_code == 200


def test_the_audit_trail_leaves_licensed_text_to_licence_holders(licensed, people):
    """An auditor reads everything, except the text of a licence their organisation lacks."""
    catch_up("changelog")
    audrey = people["audrey"]
    api, screens = APIClient(), Client()
    api.force_authenticate(audrey)
    screens.force_login(audrey)

    def read_all() -> str:
        answers = [
            api.get("/api/v1/audit/log"),
            api.get("/api/v1/audit/log/export.jsonl"),
            api.get("/api/v1/audit/log/export.csv"),
            screens.get("/audit/"),
        ]
        assert all(a.status_code == 200 for a in answers)
        return "".join(
            b"".join(a.streaming_content).decode() if a.streaming else a.content.decode()
            for a in answers
        )

    assert leaks(read_all()) == []
    assert api.get("/api/v1/audit/codes/cpt/99990/timeline").status_code == 403
    assert api.get("/api/v1/audit/codes/cpt/99990/blame").status_code == 403
    assert screens.get("/audit/codes/cpt/99990").status_code == 403

    Membership.objects.create(user=audrey, organisation=licensed["holder"])
    assert leaks(read_all())
    assert api.get("/api/v1/audit/codes/cpt/99990/timeline").status_code == 200


def test_the_api_serves_metered_sections_to_api_keys_and_staff_only(codes, people):
    """Past the page meter, the API is no way round it: without an API key or an editorial
    role, the metered sections are withheld there too (history and diffs included)."""
    metered = ["common_description", "lay_terms", "notes", "related"]
    _, key = APIKey.objects.create_key(name="consumer")
    for reader in (api_client(), api_client(user=people["nobody"])):
        body = reader.get("/api/v1/codes/icd10cm/A00.0").json()
        assert body["withheld"] == metered
        assert body["content"]["official_descriptor"]  # the code's title stays public
        assert all(not body["content"][name] for name in metered)
    for reader in (api_client(key), api_client(user=people["audrey"])):
        assert reader.get("/api/v1/codes/icd10cm/A00.0").json()["withheld"] == []
