"""Read-model rows inserted as values (events.bulk.bulk_insert_values, what the `codes` and
`changelog` projectors use) read back exactly as rows saved through the ORM, on PostgreSQL and
on the embedded SQLite; and a rebuild of those projections reproduces them."""

import json
import textwrap

import pytest

from tests.embedded import run_django

pytestmark = pytest.mark.django_db

# Written as Python source into the embedded check below, and used here as it is.
ROW_SOURCE = """
import datetime, uuid
ROW = {
    "system": "icd10cm", "code": "A00.0", "normalised": "A000", "version": 2,
    "in_force_version": 1, "in_force": True,
    "official_descriptor": "Sézary\u2019s \u201cquoted\u201d",
    "short_descriptor": "", "status": "active", "billable": True, "chapter": "1",
    "block": "A00-A09", "parent": "A00",
    "content": {"lay_terms": ["ünïcode", "x"], "big": 2**70, "nested": {"a": [1, None]}},
    "needs_review": False,
    "scheduled": [{"version": 2, "effective_from": "2027-10-01"}],
    "next_change_on": datetime.date(2027, 10, 1),
    "registered_at": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC),
    "updated_at": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "position": 12,
}
"""

CHECK = """
from codes.models import CodeEntry
from events.bulk import bulk_insert_values
CodeEntry.objects.create(**ROW)
bulk_insert_values(CodeEntry, [{**ROW, "code": "A00.1"}])
orm, values = (
    {k: v for k, v in row.items() if k not in ("id", "code")}
    for row in CodeEntry.objects.order_by("code").values()
)
SAME = orm == values == {k: v for k, v in ROW.items() if k != "code"}
"""


def test_rows_inserted_as_values_read_back_as_orm_rows_on_postgresql():
    scope = {}
    exec(ROW_SOURCE + CHECK, scope)
    assert scope["SAME"]


@pytest.mark.slow
def test_rows_inserted_as_values_read_back_as_orm_rows_on_sqlite(tmp_path):
    database = tmp_path / "rows.sqlite3"
    run_django(database, "migrate", "--noinput", "-v0")
    code = textwrap.dedent(
        f"""
        import os, django
        os.environ["DATABASE_URL"] = "sqlite:///{database}"
        django.setup()
        """
    )
    code += ROW_SOURCE + CHECK + "\nimport json\nprint(json.dumps(SAME))\n"
    done = run_django(database, code=code)
    assert json.loads(done.stdout.strip().splitlines()[-1]) is True


@pytest.mark.slow
def test_on_sqlite_a_rebuild_reproduces_the_codes_and_changelog_read_models(tmp_path):
    database = tmp_path / "rebuild.sqlite3"
    run_django(database, "migrate", "--noinput", "-v0")
    code = textwrap.dedent(
        f"""
        import json, os, django
        os.environ["DATABASE_URL"] = "sqlite:///{database}"
        django.setup()
        from codesets.actions import code_register
        from events.projections import catch_up, get_projector, rebuild
        for code, title in (("A00.0", "Cholera, Sézary\u2019s"), ("A00.1", "Cholera, El Tor")):
            code_register(system="icd10cm", code=code, content={{"official_descriptor": title}},
                          source="test", release="test")
        answers = []
        for name in ("codes", "changelog"):
            catch_up(name, force=True)
            before = get_projector(name).snapshot()
            rebuild(name)
            answers.append(bool(before) and before == get_projector(name).snapshot())
        print(json.dumps(answers))
        """
    )
    done = run_django(database, code=code)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, True]
