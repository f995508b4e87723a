"""A small code set with a later release of it."""

import pytest

from codes.systems import SYSTEMS
from codesets.importing import import_codes, propose_release
from codesets.sources import SourceCode

# --- a code set and a later release: one code added, one revised, one retired ----------------

PROVIDES = ("official_descriptor", "short_descriptor", "billable", "parent")


def code(value, title, **content):
    return SourceCode("icd10cm", value, {"official_descriptor": title, "billable": True, **content})


BASELINE = [
    code("A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae"),
    code("M35.04", "Sjogren syndrome with tubulo-interstitial nephropathy"),
    code("S30.1XXA", "Contusion of abdominal wall, initial encounter"),
]
NEXT = [
    code("A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae"),
    code("E11.A", "Type 2 diabetes mellitus without complications in remission"),
    code("M35.04", "Sjögren syndrome with tubulo-interstitial nephropathy"),
]


def import_baseline(codes=BASELINE):
    """The first import of the small code set."""
    import_codes(lambda: iter(codes), system="icd10cm", source="cm-old", release="FY2025")


def propose(codes=NEXT, release="FY2026", **kwargs):
    """A later release of it, proposed as a change set (its summary)."""
    return propose_release(
        lambda: iter(codes),
        system="icd10cm",
        source="cm-new",
        release=release,
        provides=PROVIDES,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _file_defined_systems_forgotten():
    """Each test starts and ends without the file-defined systems another test's database held
    (codes.systems.SYSTEMS keeps them for a few seconds per process)."""
    SYSTEMS.forget()
    yield
    SYSTEMS.forget()
