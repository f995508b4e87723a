"""An embedded database built before the `editorial` app was split (docs/architecture.md, "Moving
models between apps") upgrades in place and serves the same codes, requests and history.

The code of the last commit that had `platform/editorial` is taken from git (`git archive`),
writes a small history into a SQLite file (a code set import, an approved change, an open
request with a comment, a release change set with one item approved), and answers a few API
requests. Today's code then migrates a copy of that file, answers the same requests, carries on
writing, and rebuilds its read models from the log to the same rows.
"""

import json
import shutil
import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

import pytest

from tests.embedded import run_django

REPO = Path(__file__).resolve().parents[2]

# Requests a reader and a reviewer make; the answers must be the same before and after.
ASK = """
import json, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.contrib.auth.models import User
from django.test import Client

client = Client()
client.force_login(User.objects.get(username="bob"))
answers = {}
for path in [
    "/api/v1/codes/icd10cm/A00.0",
    "/api/v1/codes/icd10cm/A00.0/history",
    "/api/v1/codes/icd10cm/E11.A",
    "/api/v1/codes/icd10cm/M35.04/diff?from=1&to=1",
    "/api/v1/change-requests",
    "/api/v1/releases",
]:
    response = client.get(path)
    answers[path] = [response.status_code, response.json()]
page = client.get("/codes/icd10cm/A00.0")
answers["page"] = [page.status_code, "Cholera" in page.content.decode()]
print("ANSWERS" + json.dumps(answers, sort_keys=True))
"""

# Written with the code from before the split (its module names).
BUILD_BEFORE = """
import django
django.setup()
from django.contrib.auth.models import Group, User
from editorial import services
from editorial.importing import import_codes, propose_release
from editorial.sources import SourceCode
from events.projections import catch_up


def code(value, title):
    return SourceCode("icd10cm", value, {"official_descriptor": title, "billable": True})


import_codes(
    lambda: iter([code("A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae"),
                  code("M35.04", "Sjogren syndrome with tubulo-interstitial nephropathy")]),
    system="icd10cm", source="cm-old", release="FY2025",
)
alice = User.objects.create_user("alice", password="unused")
alice.groups.add(Group.objects.get(name="editor"))
bob = User.objects.create_user("bob", password="unused")
bob.groups.add(Group.objects.get(name="reviewer"))
a, b = services.actor_for(alice), services.actor_for(bob)
done = services.change_request_submit(
    actor=a, system="icd10cm", code="A00.0", base_version=1,
    changes={"short_descriptor": "Cholera, classical"}, rationale="the CMS short name",
)
services.change_request_approve(
    actor=b, change_id=done.change_request.change_id, expected_version=1
)
open_one = services.change_request_submit(
    actor=a, system="icd10cm", code="M35.04", base_version=1,
    changes={"lay_terms": ["dry eyes and mouth with kidney disease"]}, rationale="plain words",
)
services.change_request_comment(
    actor=b, change_id=open_one.change_request.change_id, text="source?"
)
release = propose_release(
    lambda: iter([code("A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae"),
                  code("E11.A", "Type 2 diabetes mellitus without complications in remission"),
                  code("M35.04", "Sjogren syndrome with tubulo-interstitial nephropathy")]),
    system="icd10cm", source="cm-new", release="FY2026",
    provides=("official_descriptor", "billable"),
)
services.release_approve(actor=b, release_id=release.release_id, codes=["E11.A"])
for name in ("editorial", "streams", "changelog"):
    catch_up(name)
print("OPEN", open_one.change_request.change_id)
"""

# Written with today's code after the upgrade: the checkpoints it inherited, a new write, and a
# rebuild of every read model that must give the rows the live projection holds.
CARRY_ON = """
import django
django.setup()
from django.contrib.auth.models import User
from codeledger.domain import actor_for
from events.models import ProjectorState
from events.projections import catch_up
from events.testing import assert_projection_matches_rebuild
from review import actions

states = dict(ProjectorState.objects.values_list("name", "checkpoint"))
print("CHECKPOINTS", sorted(states.items()))
assert "editorial" not in states, states
head = states["streams"]
assert states["codes"] == states["review"] == states["codesets"] == head, states
bob = actor_for(User.objects.get(username="bob"))
actions.change_request_approve(actor=bob, change_id="{open}", expected_version=2)
for name in ("codes", "review", "codesets"):
    catch_up(name)
assert_projection_matches_rebuild("codes", "review", "codesets")
print("CARRIED ON")
"""


def _before_the_split() -> str:
    """The last commit that had the `editorial` app (the parent of the one that removed it)."""
    found = subprocess.run(
        ["git", "log", "--format=%H", "-1", "--diff-filter=D", "--", "platform/editorial/apps.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0 or not found.stdout.strip():
        pytest.skip(f"no git history of platform/editorial here: {found.stderr.strip()}")
    return found.stdout.strip() + "^"


def _checkout(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "platform", "manage.py"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def _run(tree: Path, database: Path, *args, code: str | None = None) -> str:
    return run_django(database, *args, code=code, tree=tree).stdout


def _kept(before, after) -> bool:
    """`after` holds every value `before` held (dicts may have gained keys)."""
    if isinstance(before, dict):
        return isinstance(after, dict) and all(
            key in after and _kept(value, after[key]) for key, value in before.items()
        )
    if isinstance(before, list):
        return (
            isinstance(after, list)
            and len(before) == len(after)
            and all(_kept(b, a) for b, a in zip(before, after, strict=True))
        )
    return before == after


def _answers(output: str) -> dict:
    line = next(line for line in output.splitlines() if line.startswith("ANSWERS"))
    return json.loads(line.removeprefix("ANSWERS"))


@pytest.mark.slow
def test_a_database_from_before_the_split_upgrades_and_serves_the_same(tmp_path):
    old = _checkout(_before_the_split(), tmp_path / "before")
    (old / ".local").mkdir()
    database = tmp_path / "before.sqlite3"
    _run(old, database, "migrate", "--no-input", "-v0")
    opened = _run(old, database, code=BUILD_BEFORE)
    open_id = next(line.split()[1] for line in opened.splitlines() if line.startswith("OPEN"))
    before = _answers(_run(old, database, code=ASK))

    upgraded = tmp_path / "upgraded.sqlite3"
    shutil.copy(database, upgraded)
    _run(REPO, upgraded, "migrate", "--no-input", "-v0")
    after = _answers(_run(REPO, upgraded, code=ASK))

    assert before["page"] == after["page"] == [200, True]
    for path, (status, body) in before.items():
        assert status == 200, f"{path} answered {status} before the upgrade"
        assert after[path][0] == status, f"{path} answers {after[path][0]} after the upgrade"
        # Everything served before is served the same; fields added since are new answers.
        assert _kept(body, after[path][1]), f"{path} answers differently after the upgrade"
    assert before["/api/v1/change-requests"][1]["results"], "the requests were not served"

    carried = _run(REPO, upgraded, code=CARRY_ON.replace("{open}", open_id))
    assert "CARRIED ON" in carried
