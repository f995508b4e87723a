"""A small tabular list and samples of the Alphabetic Index (data/): the FY2025 sample as CSV and
as official XML (the same entries), and a made-up next year as XML."""

from pathlib import Path

import pytest

from alphabetic_index.importing import index_import
from alphabetic_index.readers import read_entries
from codesets.importing import import_codes
from codesets.sources import SourceCode
from events.testing import catch_up_each

DATA = Path(__file__).parent / "data"
SAMPLE_CSV = DATA / "index-2025-sample.csv"
SAMPLE_XML = DATA / "index-2025-sample.xml"
NEXT_YEAR_XML = DATA / "index-2026-sample.xml"

# The tabular list in force for the samples: (code, billable). J41.0 is missing on purpose
# (a stale index code); Q89.8 has been subdivided (a header); T14.8 and S30.811 take a 7th
# character and M91.1 more characters (the tabular list completes those). The samples of the
# other books (the tables, the External Cause Index) lead to the codes listed last.
TABULAR = [
    ("E11.9", True),
    ("F29", True),
    ("F31.9", True),
    ("F45.41", True),
    ("I71.20", True),
    ("I71.9", True),
    ("I72.9", True),
    ("J18.9", True),
    ("J45.909", True),
    ("J69.0", True),
    ("M62.831", True),
    ("M91.1", False),
    ("M91.10", True),
    ("N39.44", True),
    ("Q89.8", False),
    ("Q89.81", True),
    ("Q89.89", True),
    ("R05.9", True),
    ("R32", True),
    ("S30.811", False),
    ("S30.811A", True),
    ("T14.8", False),
    ("T14.8XXA", True),
    # the books' samples: T40.2X1 to T40.2X6 and T50.3X1 to T50.3X6 are missing (stale)
    ("C34.9", False),
    ("C34.90", True),
    ("T63.461", True),
    ("T63.462", True),
    ("T63.463", True),
    ("T63.464", True),
    ("W57", True),
]


@pytest.fixture
def tabular(db):
    """The tabular list in force, imported and projected."""
    codes = [
        SourceCode("icd10cm", code, {"official_descriptor": f"{code} (test)", "billable": billable})
        for code, billable in TABULAR
    ]
    import_codes(lambda: iter(codes), system="icd10cm", source="test-tabular", release="T1")
    catch_up_each("codes")


def import_index(path=SAMPLE_CSV, release="FY2025", **kwargs):
    """Import an index file as `index_import` does, then project it (tests never commit)."""
    summary = index_import(read_entries(path), release=release, source=Path(path).name, **kwargs)
    catch_up_each("alphabetic_index")
    return summary


@pytest.fixture
def fy2025(tabular):
    """The FY2025 sample, imported (in force) and projected."""
    return import_index()


DRUG_XML = DATA / "drug-2025-sample.xml"
NEOPLASM_XML = DATA / "neoplasm-2025-sample.xml"
EXTERNAL_XML = DATA / "eindex-2025-sample.xml"
