"""Auditors read everything and change nothing: every write endpoint and screen answers 403.

The routes are enumerated from the URL configuration, so a write endpoint added later is
covered without touching this test.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from events.models import Event

pytestmark = pytest.mark.django_db

WRITES = ("post", "put", "patch", "delete")
VALUES = {
    "system": "icd10cm",
    "code": "I21.4",
    "version": "1",
}
# Not part of the product's records: Django's admin (is_staff people only, its own login),
# account pages (an auditor manages their own account), and the chain verification, which
# auditors run by design (it writes no event: tests/audit/test_integrity.py), and the reads
# that take a body (CasePilot's questions, a code list check, FHIR operations by POST), which
# auditors use like anyone and which write nothing (tests/assistant, tests/checks, tests/fhir).
EXEMPT = (
    "admin/",
    "accounts/",
    "audit/integrity/verify",
    "api/v1/audit/integrity/verifications",
    "api/v1/assistant/ask",
    "assistant",
    "api/v1/codes/check",
    "check",
    "fhir/",
)


def routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def concrete(route: str) -> str | None:
    """A real path for a route: converters filled in; None for regex routes."""
    path, rest = "", route
    while "<" in rest:
        before, _, after = rest.partition("<")
        spec, _, rest = after.partition(">")
        converter, _, name = spec.rpartition(":")
        path += before + (str(uuid.uuid4()) if converter == "uuid" else VALUES.get(name, "1"))
    path += rest
    return None if any(c in path for c in "^$()[]\\") else "/" + path


def test_every_write_answers_403_to_an_auditor(people, nstemi):
    auditor = people["audrey"]
    api, screens = APIClient(), APIClient(enforce_csrf_checks=False)
    api.force_authenticate(auditor)
    screens.force_login(auditor)
    before = Event.objects.count()
    refused, accepted, checked = set(), [], 0
    for route in routes():
        path = concrete(route)
        if path is None or path.lstrip("/").startswith(EXEMPT):
            continue
        client = api if path.startswith("/api/") else screens
        for method in WRITES:
            response = getattr(client, method)(path, {}, format="json")
            checked += 1
            if response.status_code == 403:
                refused.add(f"{method.upper()} {route}")
            elif response.status_code != 405:
                accepted.append(f"{method.upper()} {path} -> {response.status_code}")
    assert accepted == [], "writes an auditor was not refused:\n" + "\n".join(accepted)
    assert Event.objects.count() == before
    # The sweep reached the workflow's writes (and is not passing on 405s alone).
    for write in (
        "POST api/v1/change-requests",
        "POST api/v1/change-requests/<uuid:change_id>/approve",
        "POST api/v1/releases/<uuid:release_id>/approve",
        "POST codes/<str:system>/<str:code>/propose",
        "POST requests/<uuid:change_id>/comments",
        "POST releases/<uuid:release_id>/approve-all",
    ):
        assert write in refused, write
    assert checked > 100


@pytest.mark.parametrize("path", ["/codes/icd10cm/I21.4/propose"])
def test_write_forms_are_not_even_shown_to_an_auditor(client, people, nstemi, path):
    client.force_login(people["audrey"])
    assert client.get(path).status_code == 403
