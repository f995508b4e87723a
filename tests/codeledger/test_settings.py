"""Settings: the stdlib is not shadowed, bad configuration fails clearly, production is hardened."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_platform_source_root_does_not_shadow_the_standard_library():
    code = (
        "import uuid, platform; print(platform.system(), platform.__file__, uuid.uuid4().version)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'platform'}"},
    )
    system, module_file, version = result.stdout.split()
    assert system == "Linux"
    assert not module_file.startswith(str(REPO))
    assert version == "4"
    assert not (REPO / "platform" / "__init__.py").exists()


def test_manage_py_finds_the_apps_from_the_repository_root():
    result = run_manage(
        "shell", "-c", "import events, codes, search, platform; print(platform.system())"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "Linux"


def test_malformed_database_url_fails_with_a_clear_message():
    result = run_manage("check", DATABASE_URL="not-a-url")
    assert result.returncode != 0
    assert "DATABASE_URL is malformed" in result.stderr


def test_production_mode_requires_a_secret_key():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="codes.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_mode_requires_a_seal_key():
    """The log's seals need a key the database does not hold (docs/audit.md, "Seals")."""
    result = run_manage(
        "check", DEBUG="false", ALLOWED_HOSTS="codes.example.org", SECRET_KEY="s" * 50
    )
    assert result.returncode != 0
    assert "EVENT_SEAL_KEYS is required" in result.stderr


def test_production_mode_passes_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k" * 20 + "-production-secret-key-0123456789-abcdefghij",
        ALLOWED_HOSTS="codes.example.org",
        EVENT_SEAL_KEYS="2026-12:a-production-seal-key-0123456789",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_requests_are_not_wrapped_in_one_transaction(settings):
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False


SHOW_TOOLBAR = (
    "from django.test import Client; from django.conf import settings; "
    "page = Client(REMOTE_ADDR='127.0.0.1').get('/'); "
    "print(page.status_code, 'djDebug' in page.content.decode(), settings.DEBUG_TOOLBAR)"
)


def test_make_dev_shows_the_debug_toolbar_and_make_run_never_does(tmp_path):
    """`make dev` sets DEBUG_TOOLBAR=true (deploy/local/run.sh --dev): the home page carries the
    toolbar for 127.0.0.1. With DEBUG off (`make run`) the same variable changes nothing."""
    database = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    assert run_manage("migrate", "--noinput", DATABASE_URL=database).returncode == 0
    dev = run_manage("shell", "-c", SHOW_TOOLBAR, DATABASE_URL=database, DEBUG_TOOLBAR="true")
    assert dev.returncode == 0, dev.stderr
    assert dev.stdout.split()[-3:] == ["200", "True", "True"]
    served = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print('debug_toolbar' in settings.INSTALLED_APPS, settings.DEBUG_TOOLBAR)",
        DATABASE_URL=database,
        DEBUG="false",
        EMBEDDED="true",
        DEBUG_TOOLBAR="true",
    )
    assert served.returncode == 0, served.stderr
    assert served.stdout.split()[-2:] == ["False", "False"]
