"""deploy/docker-compose.yml and deploy/Dockerfile, checked without a Docker engine: the compose
file parses and refers only to what it defines; the image is slim, non-root and built from the
lock file. Where a Docker client with the compose plugin exists, `docker compose config` too."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
APP_SERVICES = {"web", "worker", "beat", "migrate"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def depends_on(service: dict) -> dict:
    value = service.get("depends_on", {})
    return {name: {} for name in value} if isinstance(value, list) else value


def named_volumes(service: dict) -> set[str]:
    names = set()
    for volume in service.get("volumes", []):
        source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
        if not source.startswith((".", "/", "~", "$")):
            names.add(source)
    return names


def test_has_the_stores_the_app_and_a_one_shot_migration(compose):
    services = compose["services"]
    assert {"postgres", "redis", "elasticsearch", *APP_SERVICES} <= set(services)
    assert services["migrate"]["restart"] == "no"
    assert "migrate" in " ".join(services["migrate"]["command"])
    for name in ("web", "worker", "beat"):
        assert depends_on(services[name])["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    for name in APP_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_refers_only_to_defined_services_and_volumes(compose):
    services, volumes = compose["services"], set(compose.get("volumes") or {})
    used = set()
    for name, service in services.items():
        unknown = set(depends_on(service)) - set(services)
        assert not unknown, f"{name} depends on undefined services {unknown}"
        assert not named_volumes(service) - volumes, f"{name} mounts undefined volumes"
        used |= named_volumes(service)
    assert used == volumes, f"declared but unused volumes: {volumes - used}"


def test_elasticsearch_is_the_official_9_5_0_image_with_the_hunspell_dictionary(compose):
    elasticsearch = compose["services"]["elasticsearch"]
    assert elasticsearch["image"] == "docker.elastic.co/elasticsearch/elasticsearch:9.5.0"
    targets = [volume.split(":")[1] for volume in elasticsearch["volumes"]]
    assert "/usr/share/elasticsearch/config/hunspell/en_US" in targets


def test_every_long_running_service_has_a_health_check(compose):
    for name in ("postgres", "redis", "elasticsearch", "web", "worker"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_every_variable_it_uses_is_documented_in_the_env_example(compose):
    text = (DEPLOY / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    example = (DEPLOY / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?(\w+)=", example, re.MULTILINE))
    assert used <= documented, f"not in deploy/.env.example: {used - documented}"
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "METRICS_TOKEN"} <= documented


def test_the_image_is_slim_non_root_locked_and_runs_gunicorn():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert bases and all("slim" in base for base in bases)
    assert "uv sync --frozen --no-dev" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "gunicorn" in dockerfile.split("CMD", 1)[1]
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE):
        for path in source.split():
            assert (REPO / path).exists(), f"COPY of a missing path: {path}"


def test_the_gunicorn_configuration_loads_the_application():
    result = subprocess.run(
        [
            Path(sys.executable).parent / "gunicorn",
            "-c",
            "deploy/gunicorn.conf.py",
            "--check-config",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def compose_plugin() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not compose_plugin(), reason="no Docker client with the compose plugin")
def test_docker_compose_config_accepts_it():
    result = subprocess.run(
        [
            *("docker", "compose", "-f", "deploy/docker-compose.yml"),
            *("--env-file", "deploy/.env.example", "config", "--quiet"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
