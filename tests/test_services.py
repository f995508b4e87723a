"""The test fixtures really start PostgreSQL, Redis and Elasticsearch."""

import uuid

import pytest
import redis
from django.db import connection

from codeledger.elastic import elasticsearch_client


@pytest.mark.django_db
def test_database_is_a_real_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int, 6 * 7")
        version, answer = cursor.fetchone()
    assert connection.vendor == "postgresql"
    assert version >= 150000
    assert answer == 42


def test_redis_answers_ping_and_keeps_a_value(redis_url):
    client = redis.Redis.from_url(redis_url)
    assert client.ping() is True
    client.set("codeledger:probe", "I21.4")
    assert client.get("codeledger:probe") == b"I21.4"


def test_elasticsearch_index_refresh_search_round_trip(es_namespace):
    client = elasticsearch_client()
    index = f"{es_namespace}-probe-{uuid.uuid4().hex[:6]}"
    client.index(index=index, id="1", document={"title": "Acute myocardial infarction"})
    client.index(index=index, id="2", document={"title": "Essential hypertension"})
    client.indices.refresh(index=index)
    result = client.search(index=index, query={"match": {"title": "infarction"}})
    assert [hit["_id"] for hit in result["hits"]["hits"]] == ["1"]


@pytest.mark.elasticsearch
def test_elasticsearch_hunspell_filter_stems_with_the_debian_dictionary():
    result = elasticsearch_client().indices.analyze(
        tokenizer="standard",
        filter=["lowercase", {"type": "hunspell", "locale": "en_US", "dedup": True}],
        text="Fractures of femurs, fractured bones",
    )
    tokens = [token["token"] for token in result["tokens"]]
    assert "fracture" in tokens
    assert "femur" in tokens
    assert "bone" in tokens
    assert "femurs" not in tokens
