"""The Elasticsearch client, one per URL, built from settings when first needed."""

from functools import cache

from django.conf import settings
from elasticsearch import Elasticsearch
from elasticsearch.serializer import OrjsonSerializer


@cache
def _client(url: str, timeout: float) -> Elasticsearch:
    # orjson writes bulk bodies and reads responses (the projector and every search use it).
    return Elasticsearch(
        url,
        request_timeout=timeout,
        retry_on_timeout=False,
        max_retries=0,
        serializer=OrjsonSerializer(),
    )


def elasticsearch_client() -> Elasticsearch:
    """The client for settings.ELASTICSEARCH_URL (read at call time, so tests can point it)."""
    return _client(settings.ELASTICSEARCH_URL, settings.ELASTICSEARCH_TIMEOUT)
