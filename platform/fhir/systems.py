"""CodeLedger's code systems as FHIR knows them: canonical URLs, resource ids, releases.

The canonical URLs are the ones HL7 and the publishers name (terminology.hl7.org lists them),
so a client that already holds codes of these systems needs no mapping. The CodeSystem `version`
is the release of the code set: the first import's, then each later release proposed for it.
"""

from dataclasses import dataclass

from django.core.cache import cache

from codes.models import CodeEntry, CodeVersion
from codes.systems import SYSTEMS, CodeSystem
from codesets.models import ReleaseEntry


@dataclass(frozen=True)
class FhirSystem:
    name: str  # CodeLedger's: "icd10cm"
    id: str  # the CodeSystem resource's id: "icd-10-cm"
    url: str  # the canonical URL
    publisher: str

    @property
    def system(self) -> CodeSystem:
        return SYSTEMS[self.name]


FHIR_SYSTEMS = (
    FhirSystem(
        "icd10cm",
        "icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "Centers for Medicare & Medicaid Services (CMS) and NCHS",
    ),
    FhirSystem(
        "icd10pcs",
        "icd-10-pcs",
        "http://www.cms.gov/Medicare/Coding/ICD10",
        "Centers for Medicare & Medicaid Services (CMS)",
    ),
    FhirSystem(
        "hcpcs",
        "hcpcs",
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "Centers for Medicare & Medicaid Services (CMS)",
    ),
    FhirSystem("cpt", "cpt", "http://www.ama-assn.org/go/cpt", "American Medical Association"),
)
BY_URL = {s.url: s for s in FHIR_SYSTEMS}
BY_ID = {s.id: s for s in FHIR_SYSTEMS}
BY_NAME = {s.name: s for s in FHIR_SYSTEMS}

# Releases change a few times a year; reading them costs a scan of the system's versions.
RELEASES_SECONDS = 60


def releases(fhir_system: FhirSystem) -> list[str]:
    """The releases of the system, oldest first: those its codes were registered or revised
    from, and the release change sets proposed for it."""
    key = f"fhir:releases:{fhir_system.name}"
    found = cache.get(key)
    if found is None:
        rows = (
            CodeVersion.objects.filter(system=fhir_system.name)
            .exclude(release="")
            .values_list("release", flat=True)
            .distinct()
        )
        proposed = ReleaseEntry.objects.filter(system=fhir_system.name).order_by(
            "proposed_position"
        )
        found = sorted(set(rows))
        for release in proposed.values_list("release", flat=True):
            if release in found:
                found.remove(release)
            found.append(release)
        cache.set(key, found, RELEASES_SECONDS)
    return found


def current_release(fhir_system: FhirSystem) -> str | None:
    known = releases(fhir_system)
    return known[-1] if known else None


def code_count(fhir_system: FhirSystem) -> int:
    """Codes in force today (the read model)."""
    return CodeEntry.objects.filter(system=fhir_system.name, in_force=True).count()
