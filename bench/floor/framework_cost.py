"""What Django and DRF add to one API search or suggest request, in-process, without HTTP or
Elasticsearch noise: the API's WSGI application (codeledger.wsgi, every middleware, DRF) and
the bare WSGI floor (bare_wsgi.py, the same answers without the framework) answer the same
requests in turn, with Elasticsearch's answers replayed from memory (each distinct request
body is sent once, then its raw answer is handed back as a fresh elasticsearch.dsl Response),
so the difference of the two is the framework's own cost per request. With `--profile`, cProfile
of the API's requests alone (the framework's functions by cumulative time).

Environment as for bench/search.py --overhead (DATABASE_URL, ELASTICSEARCH_URL,
SEARCH_INDEX_ALIAS; CACHE_URL for a Redis, else the throttle counts in local memory):
    .venv/bin/python bench/floor/framework_cost.py [--requests N] [--profile search|suggest]
(PROFILE_FILTER, a regular expression, and PROFILE_LINES choose what the profile lists.)
Not part of the product.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "platform"), str(REPO / "bench" / "floor")]
os.environ.update(
    DJANGO_SETTINGS_MODULE="codeledger.settings",
    DEBUG="false",
    SECRET_KEY=os.environ.get("SECRET_KEY", secrets.token_urlsafe(45)),
    EVENT_SEAL_KEYS=os.environ.get("EVENT_SEAL_KEYS", f"bench:{secrets.token_urlsafe(32)}"),
    ALLOWED_HOSTS="localhost,127.0.0.1",
    THROTTLE_ANON="1000000/min",
    LOG_LEVEL="WARNING",
)

# The modules whose functions the profile lists (the framework, its middleware, our code).
FRAMEWORK = r"django|rest_framework|platform|csp|prometheus|allauth|whitenoise"
QUERIES = {
    "search": ["heart attack", "asthma", "I21.4", "diabetis", "fracture of neck of right femur"],
    "suggest": ["diab", "I21", "heart fa", "pneu", "chronic kid"],
}


def replay_elasticsearch() -> None:
    """search.api.execute answers each distinct body from memory after its first answer."""
    from elasticsearch.dsl.response import Response

    import search.api

    real, answers = search.api.execute, {}

    def execute(search_):
        key = json.dumps(search_.to_dict(), sort_keys=True)  # the real execute serialises too
        if key not in answers:
            answers[key] = real(search_).to_dict()
        return Response(search_, answers[key])

    search.api.execute = execute


def environ(path: str, q: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode({"q": q}),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def call(app, path: str, q: str) -> bytes:
    status = []
    body = b"".join(app(environ(path, q), lambda s, headers, exc_info=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{path}?q={q}: {status[0]} {body[:300]!r}")
    return body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", choices=sorted(QUERIES))
    args = parser.parse_args()
    import bare_wsgi  # sets Django up

    from codeledger.wsgi import application as api

    replay_elasticsearch()
    apps = {"API": api, "bare": bare_wsgi.application}
    for endpoint, texts in QUERIES.items():
        path = f"/api/v1/codes/{endpoint}"
        for q in texts * 3:  # warm up, and fill the replay
            for app in apps.values():
                call(app, path, q)
        if args.profile == endpoint:
            profiler = cProfile.Profile()
            profiler.enable()
            for n in range(args.requests):
                call(api, path, texts[n % len(texts)])
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            lines = int(os.environ.get("PROFILE_LINES", "60"))
            stats.print_stats(os.environ.get("PROFILE_FILTER", FRAMEWORK), lines)
            continue
        spent = {name: [] for name in apps}
        for n in range(args.requests):
            q = texts[n % len(texts)]
            for name, app in apps.items() if n % 2 else reversed(apps.items()):
                began = time.perf_counter()
                call(app, path, q)
                spent[name].append((time.perf_counter() - began) * 1000)
        medians = {name: statistics.median(ms) for name, ms in spent.items()}
        print(
            f"{endpoint:8} median ms per request: API {medians['API']:.3f}, bare "
            f"{medians['bare']:.3f}, framework {medians['API'] - medians['bare']:.3f} "
            f"({args.requests} each, Elasticsearch replayed; load {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
