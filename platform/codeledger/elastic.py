"""The Elasticsearch client, one per URL, built from settings when first needed."""

from functools import cache

from django.conf import settings
from elasticsearch import Elasticsearch


@cache
def _client(url: str, timeout: float) -> Elasticsearch:
    return Elasticsearch(url, request_timeout=timeout, retry_on_timeout=False, max_retries=0)


def elasticsearch_client() -> Elasticsearch:
    """The client for settings.ELASTICSEARCH_URL (read at call time, so tests can point it)."""
    return _client(settings.ELASTICSEARCH_URL, settings.ELASTICSEARCH_TIMEOUT)
