"""Whatever is asked, CasePilot answers 200 or refuses with a 400 problem, and cites only codes
the content holds in force (hypothesis: any text, and texts built from coders' words)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes.models import CodeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def unthrottled(settings):
    """One client asks every example: the throttle is not what this is about."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "assistant_user": "1000000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


WORDS = [
    "what", "is", "which", "code", "for", "can", "and", "be", "coded", "together", "vs",
    "7th", "character", "subsequent", "encounter", "first", "additional", "changed",
    "notes", "say", "about", "in", "category", "chapter", "5", "pneumonia", "asthma",
    "E11.9", "E10.9", "J45.909", "S72.001", "N18.6", "J18", "Z99.9", "99213", "B12", "?",
]  # fmt: skip

QUESTIONS = st.one_of(
    st.text(max_size=520),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(question=QUESTIONS, code=st.sampled_from([None, "S72.001", "E11.9", "Q99.9"]))
def test_any_question_is_answered_or_refused_and_cites_only_the_content(
    content, unthrottled, ask_as, question, code
):
    body = {"question": question, **({"code": code} if code else {})}
    response = ask_as("free", body)
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response["Content-Type"] == "application/problem+json"
        return
    for citation in response.json()["citations"]:
        assert CodeEntry.objects.filter(
            system=citation["system"], code=citation["code"], in_force=True
        ).exists()
