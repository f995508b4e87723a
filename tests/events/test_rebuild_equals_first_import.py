"""The read models and the search index a first start builds are what the log gives.

`manage.py first_start` projects in a way of its own: the imports' projections deferred to one
pass at the end, the codes read model caught up between two imports, the search index built in
a second process (a bulk load into a new index) beside the database read models. Rebuilding
every projection from the log afterwards (`rebuild`, as `manage.py projections_rebuild` does;
the search rebuild makes a new index behind the alias) must give identical read models (each
projector's `snapshot()`) and an identical index (every document, its id, version and source;
the physical index's name differs, and the snapshot reads through the alias).

On a slice of the packaged ICD-10-CM codes, the sample Alphabetic Index of tests/alphabetic_
index/data, a few curated lay terms (reviewed change requests, so they are code revisions) and
the packaged glossary. Both databases: SQLite, the embedded default `make run` uses, in a
subprocess as `make run` runs it; PostgreSQL, the test database, in this process.
"""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from codeledger.elastic import elasticsearch_client
from events.models import ProjectorState
from events.projections import catch_up, get_projector, projector_names, rebuild
from search.documents import alias
from search.projector import ensure_index

pytestmark = [pytest.mark.elasticsearch, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
INDEX_SAMPLE = REPO / "tests" / "alphabetic_index" / "data" / "index-2025-sample.csv"
SLICE = "E11,J45,J18,F31"
LAY_TERMS = (
    "system,code,lay_terms\n"
    "icd10cm,E11.9,type 2 diabetes|sugar diabetes\n"
    "icd10cm,J45.909,asthma attack\n"
    "icd10cm,J18.9,chest infection|lung infection\n"
)
# Run in the subprocess: every snapshot after the first start, then after a rebuild of all.
SNAPSHOTS = """
import os, pickle
from events.projections import get_projector, projector_names, rebuild

def snapshots():
    return {name: get_projector(name).snapshot() for name in projector_names()}

first = snapshots()
for name in projector_names():
    rebuild(name)
with open(os.environ["SNAPSHOTS_FILE"], "wb") as out:
    pickle.dump((first, snapshots()), out)
"""


def first_start_options(lay_terms: Path) -> list[str]:
    return [
        "--only",
        SLICE,
        "--index-file",
        str(INDEX_SAMPLE),
        "--lay-terms-file",
        str(lay_terms),
        "--no-demo-users",
    ]


def assert_same(first: dict, rebuilt: dict) -> None:
    assert sorted(first) == sorted(rebuilt)
    different = [name for name in first if first[name] != rebuilt[name]]
    assert different == []
    # What was compared is the slice, fully projected (not two empty read models): J18.9 is
    # indexed with its curated lay terms, and the sample index's entries are there.
    documents = {doc_id: source for doc_id, _, source in first["search"]}
    assert documents["icd10cm:J18.9"]["lay_terms"] == ["chest infection", "lung infection"]
    assert len(first["alphabetic_index"]["entries"]) > 10


def test_on_sqlite_a_rebuild_gives_what_the_first_start_built(tmp_path, es_namespace):
    lay_terms = tmp_path / "lay_terms.csv"
    lay_terms.write_text(LAY_TERMS)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'codeledger.sqlite3'}",
        ELASTICSEARCH_URL=os.environ["ELASTICSEARCH_URL"],
        SEARCH_INDEX_ALIAS=f"{es_namespace}-codes",
        SNAPSHOTS_FILE=str(tmp_path / "snapshots.pickle"),
    )

    def manage(*args):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )

    manage("migrate", "--noinput")
    manage("first_start", *first_start_options(lay_terms))
    manage("shell", "-c", SNAPSHOTS)

    first, rebuilt = pickle.loads((tmp_path / "snapshots.pickle").read_bytes())
    assert_same(first, rebuilt)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_rebuild_gives_what_the_first_start_built(tmp_path, settings):
    lay_terms = tmp_path / "lay_terms.csv"
    lay_terms.write_text(LAY_TERMS)
    call_command("first_start", *first_start_options(lay_terms))
    first = {name: get_projector(name).snapshot() for name in projector_names()}

    for name in projector_names():
        rebuild(name)

    assert_same(first, {name: get_projector(name).snapshot() for name in projector_names()})

    # The live path too, from an empty index: a catch-up batch by batch, where each Alphabetic
    # Index event indexes again the codes it names (a rebuild reads every code's terms once,
    # and skips those events).
    client = elasticsearch_client()
    client.indices.delete(index=list(client.indices.get_alias(name=alias())))
    ensure_index()
    ProjectorState.objects.filter(name="search").update(checkpoint=0)
    assert catch_up("search", force=True).status == "caught_up"
    assert get_projector("search").snapshot() == first["search"]
