"""`make run` serves like a product: gunicorn with several workers and DEBUG off.

deploy/local/run.sh is started the way `make run` starts it, on a free port, against a small
SQLite database of its own and an Elasticsearch URL on which nothing listens; the first import
of the full code set is skipped (CODELEDGER_SKIP_FIRST_IMPORT). What a user of `make run`
relies on: an unknown address gets the product's 404 page, never Django's debug page; the
page's stylesheet is served; a person signs in over this machine's plain HTTP; and one user's
slow request does not hold up another's.

The slow request is a real one: a search with `min_position` waits (SEARCH_MIN_POSITION_WAIT)
for the index to reach that position. The database holds a few imported codes the search
projector could not index (no Elasticsearch), so such a search waits the whole time and then
answers 503. Served one after the other, two of them cannot both be answered sooner than twice
that wait after the first was sent; served concurrently, they are.

One server for the module (about 30 s to prepare and start).
"""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.template.loader import render_to_string

from localservices import free_port

REPO = Path(__file__).resolve().parents[2]
RUN_SH = REPO / "deploy" / "local" / "run.sh"
WAIT = 3.0  # seconds a search behind the index waits before answering 503

pytestmark = pytest.mark.slow

CREATE_ADA = """
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
ada = User.objects.create_user("ada", "ada@example.org", "pw-ada-make-run")
EmailAddress.objects.create(user=ada, email=ada.email, verified=True, primary=True)
"""


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("make-run")
    port = free_port()
    # A clean environment, as a user's shell: the test session's DATABASE_URL, DEBUG, secrets
    # etc. must not leak in. Nothing else is set: run.sh must serve with DEBUG off by itself.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'codeledger.sqlite3'}",
        ELASTICSEARCH_URL="http://127.0.0.1:9",
        STATIC_ROOT=str(folder / "static"),
        PORT=str(port),
        CODELEDGER_SKIP_FIRST_IMPORT="1",
        SEARCH_MIN_POSITION_WAIT=str(WAIT),
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=REPO, env=env, check=True)
    # A few codes: events the search projector cannot index without Elasticsearch.
    subprocess.run(
        [*manage, "codes_import", "icd10cm-2026", "--only", "A00"], cwd=REPO, env=env, check=True
    )
    # A person with a confirmed address (sign-in asks for one), as after signing up.
    subprocess.run([*manage, "shell", "-c", CREATE_ADA], cwd=REPO, env=env, check=True)
    log = folder / "run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(RUN_SH)],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: every worker is stopped at the end
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get(f"{base}/healthz")  # 503 without Elasticsearch: it answers, it is up
                break
            except (urllib.error.URLError, OSError):
                assert process.poll() is None, f"run.sh exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"no answer in 120 s:\n{log.read_text()}"
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_unknown_address_gets_the_products_404_page_not_the_debug_page(server):
    status, headers, body = get(f"{server}/no/such/page")

    assert status == 404
    assert headers["Server"] == "gunicorn"
    assert "<title>Not found · CodeLedger</title>" in body
    assert "There is no page at this address." in body
    assert "Using the URLconf" not in body  # Django's debug 404 lists every route


def test_the_pages_stylesheet_is_served(server):
    _, _, page = get(f"{server}/no/such/page")
    # The collected, hashed name (DEBUG off: the manifest), served by WhiteNoise.
    stylesheet = re.search(
        r'<link rel="stylesheet" href="(/static/codeledger/site\.\w+\.css)"', page
    )
    assert stylesheet, page

    status, headers, body = get(f"{server}{stylesheet.group(1)}")

    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in headers["Cache-Control"]  # hashed: cached for good
    assert body


def test_two_slow_requests_are_answered_concurrently(server):
    url = f"{server}/api/v1/codes/search?q=cholera&min_position=1"
    answers = []

    def search():
        sent = time.monotonic()
        status, _, body = get(url)
        answers.append((sent, time.monotonic(), status, body))

    threads = [threading.Thread(target=search) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Each really waited the whole time for the index (the slow path), and answered 503.
    assert [(status, json.loads(body)["type"]) for *_, status, body in answers] == [
        (503, "/problems/index-behind"),
        (503, "/problems/index-behind"),
    ]
    first_sent = min(sent for sent, *_ in answers)
    last_answered = max(answered for _, answered, *_ in answers)
    # One after the other, the second could not be answered before 2 * WAIT had passed.
    assert last_answered - first_sent < 2 * WAIT


def test_a_user_signs_in_over_plain_http(server):
    # DEBUG off, yet on this machine's plain HTTP: cookies any client sends back (not Secure).
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = browser.open(f"{server}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    fields = {"csrfmiddlewaretoken": token, "login": "ada", "password": "pw-ada-make-run"}

    answer = browser.open(f"{server}/accounts/login/", data=urlencode(fields).encode())

    assert (answer.status, answer.url) == (200, f"{server}/")
    assert "Sign out" in answer.read().decode()
    assert sorted((cookie.name, cookie.secure) for cookie in jar) == [
        ("csrftoken", False),
        ("sessionid", False),
    ]


def test_the_500_page_needs_nothing_that_may_have_failed():
    # Django renders it with an empty context: no request, no user, no database.
    page = render_to_string("500.html")

    assert "<title>Something went wrong · CodeLedger</title>" in page
    assert "Please try again in a moment" in page
