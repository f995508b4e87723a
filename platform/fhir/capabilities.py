"""The resources that describe the service: CapabilityStatement, TerminologyCapabilities, and
a CodeSystem resource per code system (a summary: the concepts are read through the operations,
content `not-present`)."""

from django.utils import timezone

from fhir.concepts import may_read
from fhir.systems import FHIR_SYSTEMS, FhirSystem, code_count, current_release

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
        "codeSystem": [_capable(fhir_system) for fhir_system in FHIR_SYSTEMS],
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


def code_system_resource(request, fhir_system: FhirSystem) -> dict:
    """The system's CodeSystem resource, without concepts. A licensed system's count is left
    out for callers without the licence, as search leaves its codes out."""
    system = fhir_system.system
    resource = {
        "resourceType": "CodeSystem",
        "id": fhir_system.id,
        "url": fhir_system.url,
        "name": system.label.replace("-", "").replace(" ", ""),
        "title": system.label,
        "status": "active",
        "experimental": False,
        "publisher": fhir_system.publisher,
        "copyright": system.official.line(),
        "caseSensitive": False,
        "valueSet": f"{fhir_system.url}?fhir_vs",
        "hierarchyMeaning": "is-a",
        "content": "not-present",
        "property": [
            {"code": code, "type": kind, "description": description}
            for code, kind, description in PROPERTIES
        ],
    }
    if release := current_release(fhir_system):
        resource["version"] = release
    if may_read(request, fhir_system):
        resource["count"] = code_count(fhir_system)
    return resource


def search_bundle(request, found: list[FhirSystem]) -> dict:
    base = _base(request)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(found),
        "link": [{"relation": "self", "url": request.build_absolute_uri()}],
        "entry": [
            {
                "fullUrl": f"{base}/CodeSystem/{fhir_system.id}",
                "resource": code_system_resource(request, fhir_system),
                "search": {"mode": "match"},
            }
            for fhir_system in found
        ],
    }
