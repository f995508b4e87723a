"""The resources that describe the service: CapabilityStatement, TerminologyCapabilities, and
a CodeSystem resource per code system.

A CodeSystem resource carries its concepts (`content: complete`) when the system is small
enough to send whole (COMPLETE_UP_TO codes in force); a larger one, ICD-10-CM's 98,000 codes,
is a summary (`content: not-present`, with `count`) whose concepts are read through the
operations and $expand's pages. The concepts are a flat list, each with a `parent` property,
not nested: a code whose parent is retired or was never registered still has a place, the list
is one ordered read of the read model, and codesets/readers/fhir_json.py reads either shape
back.
"""

from django.utils import timezone

from codeledger.api import withheld_for
from codes.models import CodeEntry
from fhir.concepts import DESIGNATION_USE, may_read, unreadable
from fhir.parameters import WHOLE, Shape
from fhir.systems import FhirSystem, code_count, current_release, fhir_systems

FHIR_VERSION = "4.0.1"
SOFTWARE = "CodeLedger"

OPERATIONS = {
    "CodeSystem": [
        ("lookup", "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup"),
        ("validate-code", "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"),
        ("subsumes", "http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes"),
    ],
    "ValueSet": [
        ("expand", "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"),
        ("validate-code", "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"),
    ],
}

# The concept properties $lookup returns (fhir.concepts.lookup), described once.
PROPERTIES = [
    ("parent", "code", "the code's parent code"),
    ("child", "code", "a code whose parent this code is"),
    ("notSelectable", "boolean", "a header (category): code one of the codes below it"),
    ("status", "code", "active or retired"),
    ("inactive", "boolean", "retired"),
    ("in-force-from", "dateTime", "the day the code came into force"),
    ("content-from", "dateTime", "the day the content returned came into force"),
    ("includes", "string", "an instructional note (each note kind is a property of its own)"),
]


def _base(request) -> str:
    return request.build_absolute_uri("/fhir")


def capability_statement(request) -> dict:
    resources = []
    for kind, operations in OPERATIONS.items():
        resource = {
            "type": kind,
            "operation": [{"name": name, "definition": url} for name, url in operations],
        }
        if kind == "CodeSystem":
            resource["interaction"] = [{"code": "read"}, {"code": "search-type"}]
            resource["searchParam"] = [
                {"name": "url", "type": "uri"},
                {"name": "version", "type": "token"},
            ]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().isoformat(timespec="seconds"),
        "publisher": SOFTWARE,
        "kind": "instance",
        "software": {"name": SOFTWARE},
        "implementation": {
            "description": "CodeLedger FHIR R4 terminology service",
            "url": _base(request),
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [{"mode": "server", "resource": resources}],
    }


def terminology_capabilities(request) -> dict:
    return {
        "resourceType": "TerminologyCapabilities",
        "status": "active",
        "date": timezone.now().isoformat(timespec="seconds"),
        "publisher": SOFTWARE,
        "kind": "instance",
        "software": {"name": SOFTWARE},
        "implementation": {
            "description": "CodeLedger FHIR R4 terminology service",
            "url": _base(request),
        },
        "codeSystem": [_capable(fhir_system) for fhir_system in fhir_systems()],
        "expansion": {
            "hierarchical": False,
            "paging": True,
            "textFilter": "Words of the display, short descriptor, lay terms and index terms, "
            "as /api/v1/codes/search matches them",
        },
        "validateCode": {"translations": False},
        "codeSearch": "all",
    }


def _capable(fhir_system: FhirSystem) -> dict:
    entry = {"uri": fhir_system.url}
    if release := current_release(fhir_system):
        entry["version"] = [{"code": release}]
    return entry


# A CodeSystem resource lists its concepts up to this many codes in force (about 250 kB of
# JSON); above it, `content: not-present` and the count. The fixtures and a custom or HCPCS-size
# set fall under it; ICD-10-CM and ICD-10-PCS do not.
COMPLETE_UP_TO = 1000

# FHIR's mark on a resource returned with elements left out (_summary, _elements).
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}
# R4 CodeSystem: the elements `_summary=true` keeps (isSummary in the specification), and the
# ones a resource must keep whatever `_elements` asks (its id and the mandatory elements).
SUMMARY_ELEMENTS = frozenset(
    {
        "resourceType", "id", "meta", "url", "identifier", "version", "name", "title", "status",
        "experimental", "date", "publisher", "contact", "useContext", "jurisdiction",
        "caseSensitive", "valueSet", "hierarchyMeaning", "compositional", "versionNeeded",
        "content", "supplements", "count", "filter", "property",
    }
)  # fmt: skip
MANDATORY_ELEMENTS = frozenset({"resourceType", "id", "meta", "status", "content"})


def code_system_resource(request, fhir_system: FhirSystem, shape: Shape = WHOLE) -> dict:
    """The system's CodeSystem resource: with its concepts when it is small, else a summary;
    as much of it as `shape` (_summary, _elements) asks. A licensed system without the licence
    is a 404, as $lookup is."""
    if not may_read(request, fhir_system):
        raise unreadable(fhir_system)
    system = fhir_system.system
    count = code_count(fhir_system)
    resource = {
        "resourceType": "CodeSystem",
        "id": fhir_system.id,
        "url": fhir_system.url,
        "name": _name(system.label),
        "title": system.label,
        "status": "active",
        "experimental": False,
        "publisher": fhir_system.publisher,
        "copyright": system.official.line(),
        "caseSensitive": fhir_system.case_sensitive,
        "valueSet": f"{fhir_system.url}?fhir_vs",
        "hierarchyMeaning": "is-a",
        "content": "complete" if count <= COMPLETE_UP_TO else "not-present",
        "count": count,
        "property": [
            {"code": code, "type": kind, "description": description}
            for code, kind, description in PROPERTIES
        ],
    }
    if release := current_release(fhir_system):
        resource["version"] = release
    complete = resource["content"] == "complete" and shape.keeps("concept")
    if complete and (concepts := _concepts(request, fhir_system)):
        resource["concept"] = concepts
    return _subset(resource, shape)


def _name(label: str) -> str:
    """A computer-friendly name (FHIR's name: a letter, then letters, digits or _)."""
    kept = "".join(ch for ch in label if ch.isascii() and (ch.isalnum() or ch == "_"))
    return kept if kept[:1].isalpha() else f"CodeSystem{kept}"


def _concepts(request, fhir_system: FhirSystem) -> list[dict]:
    """Every code in force today, in code order: display, short descriptor, and the parent,
    notSelectable and status properties (as $lookup names them)."""
    withheld = withheld_for(request, fhir_system.name)
    rows = (
        CodeEntry.objects.filter(system=fhir_system.name, in_force=True)
        .order_by("normalised")
        .values_list(
            "code", "official_descriptor", "short_descriptor", "parent", "billable", "status"
        )
    )
    concepts = []
    for code, display, short, parent, billable, status in rows:
        concept = {"code": code, "display": display}
        if short and "short_descriptor" not in withheld:
            concept["designation"] = [
                {
                    "language": "en",
                    "use": {"system": DESIGNATION_USE, "code": "short-descriptor"},
                    "value": short,
                }
            ]
        properties = [{"code": "parent", "valueCode": parent}] if parent else []
        properties += [
            {"code": "notSelectable", "valueBoolean": not billable},
            {"code": "status", "valueCode": status or "active"},
        ]
        concept["property"] = properties
        concepts.append(concept)
    return concepts


def _subset(resource: dict, shape: Shape) -> dict:
    if shape.summary:
        kept = {k: v for k, v in resource.items() if k in SUMMARY_ELEMENTS}
    elif shape.elements is not None:
        wanted = shape.elements | MANDATORY_ELEMENTS
        kept = {k: v for k, v in resource.items() if k in wanted}
    else:
        return resource
    kept["meta"] = {"tag": [SUBSETTED]}
    return kept


def search_bundle(request, found: list[FhirSystem], shape: Shape = WHOLE) -> dict:
    """The systems found, less those the caller may not read (a licensed system without the
    licence: its read is a 404, so a search does not list it either)."""
    base = _base(request)
    readable = [fhir_system for fhir_system in found if may_read(request, fhir_system)]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(readable),
        "link": [{"relation": "self", "url": request.build_absolute_uri()}],
        "entry": [
            {
                "fullUrl": f"{base}/CodeSystem/{fhir_system.id}",
                "resource": code_system_resource(request, fhir_system, shape),
                "search": {"mode": "match"},
            }
            for fhir_system in readable
        ],
    }
