"""/healthz names each service and answers 503 when one is down."""

import threading

import pytest

# /healthz checks Elasticsearch too: each test needs it up (or stops a node of its own).
pytestmark = pytest.mark.elasticsearch


@pytest.mark.django_db
def test_healthz_is_up_when_database_and_elasticsearch_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "up"
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["elasticsearch"]["status"] == "up"
    assert body["checks"]["broker"]["status"] == "eager"


@pytest.mark.django_db
def test_healthz_checks_a_real_broker(client, settings, redis_url):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = redis_url
    assert client.get("/healthz").json()["checks"]["broker"]["status"] == "up"

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


@pytest.mark.django_db
def test_healthz_answers_while_the_broker_hangs(client, settings, hung_redis):
    """A broker that takes connections and never answers: /healthz says so (503, broker down)
    instead of waiting on it until the web server kills the worker."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = hung_redis.url
    answers = []
    probe = threading.Thread(target=lambda: answers.append(client.get("/healthz")), daemon=True)
    probe.start()
    probe.join(timeout=60)  # a liveness bound, not a speed: without a timeout it never ends
    assert answers, "/healthz did not answer while the broker hangs"
    assert answers[0].status_code == 503
    assert answers[0].json()["failing"] == ["broker"]
    assert hung_redis.connections >= 1  # it did try the broker


@pytest.mark.slow
@pytest.mark.django_db
def test_healthz_reports_a_stopped_elasticsearch_and_recovers(
    client, own_elasticsearch_node, settings
):
    assert client.get("/healthz").status_code == 200

    own_elasticsearch_node.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["elasticsearch"]
    assert body["checks"]["elasticsearch"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "up"

    own_elasticsearch_node.start()
    # A restart takes other ports when another process took the old one meanwhile.
    settings.ELASTICSEARCH_URL = own_elasticsearch_node.url
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_healthz_shows_projection_lag_and_fails_on_a_halted_projector(client):
    from events.models import ProjectorState
    from events.store import NewEvent, append

    append("account:a", [NewEvent(type="test.Anything", data={})])
    body = client.get("/healthz").json()
    assert body["checks"]["projections"]["lag"]["streams"] == 1

    ProjectorState.objects.update_or_create(name="streams", defaults={"halted": True})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["projections"]
    assert "streams" in response.json()["checks"]["projections"]["detail"]
