"""CodeLedger's code systems as FHIR knows them: canonical URLs, resource ids, releases.

Every system `codes.systems.SYSTEMS` defines is served, packaged or defined by an imported
file. A system names its canonical URL, publisher and case sensitivity itself (`url`,
`publisher`, `case_sensitive`); where one does not, the table below holds what HL7 and the
publishers name (terminology.hl7.org lists the URLs), so a client that already holds codes of
these systems needs no mapping. A system with neither gets a CodeLedger URN
(`urn:codeledger:code-system:<name>`) rather than being left out. The list is read from SYSTEMS
on each call, never kept: a system an import defines in another process appears here as soon
as SYSTEMS knows it.

The CodeSystem `version` is the release of the code set: the first import's, then each later
release proposed for it.
"""

import re
from dataclasses import dataclass

from django.core.cache import cache

from codes.models import CodeEntry, CodeVersion
from codes.systems import SYSTEMS, CodeSystem
from codesets.models import ReleaseEntry


@dataclass(frozen=True)
class Known:
    """What FHIR calls a packaged system when the system does not say it itself."""

    id: str
    url: str
    publisher: str


KNOWN = {
    "icd10cm": Known(
        "icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "Centers for Medicare & Medicaid Services (CMS) and NCHS",
    ),
    "icd10pcs": Known(
        "icd-10-pcs",
        "http://www.cms.gov/Medicare/Coding/ICD10",
        "Centers for Medicare & Medicaid Services (CMS)",
    ),
    "hcpcs": Known(
        "hcpcs",
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "Centers for Medicare & Medicaid Services (CMS)",
    ),
    "cpt": Known("cpt", "http://www.ama-assn.org/go/cpt", "American Medical Association"),
}
URN = "urn:codeledger:code-system:"  # as codes.systems names the custom system


@dataclass(frozen=True)
class FhirSystem:
    name: str  # CodeLedger's: "icd10cm"
    id: str  # the CodeSystem resource's id: "icd-10-cm"
    url: str  # the canonical URL
    publisher: str
    # Whether `a1` and `A1` are two codes: the packaged systems write their codes in capitals
    # whatever the caller sends (e11.9 is E11.9); a custom or file-defined one keeps the case.
    case_sensitive: bool

    @property
    def system(self) -> CodeSystem:
        return SYSTEMS[self.name]


def _resource_id(name: str) -> str:
    """A FHIR id ([A-Za-z0-9-.]{1,64}) for a system name without a packaged one."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", name)[:64] or "system"


def as_fhir(system: CodeSystem) -> FhirSystem:
    known = KNOWN.get(system.name)
    url = getattr(system, "url", None) or (known.url if known else URN + system.name)
    publisher = (
        getattr(system, "publisher", None)
        or (known.publisher if known else None)
        or system.official.source
    )
    return FhirSystem(
        name=system.name,
        id=known.id if known else _resource_id(system.name),
        url=url,
        publisher=publisher,
        case_sensitive=getattr(system, "case_sensitive", known is None),
    )


def fhir_systems() -> list[FhirSystem]:
    """Every code system CodeLedger defines, as FHIR serves it."""
    return [as_fhir(system) for system in SYSTEMS.values()]


def by_url(url: str) -> FhirSystem | None:
    return next((s for s in fhir_systems() if s.url == url), None)


def by_id(id: str) -> FhirSystem | None:
    return next((s for s in fhir_systems() if s.id == id), None)


def by_name(name: str) -> FhirSystem:
    return as_fhir(SYSTEMS[name])


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
