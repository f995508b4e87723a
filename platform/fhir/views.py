"""The FHIR endpoints (thin: read the parameters, ask fhir.concepts / fhir.expansion, answer).

Every view reads codes as the REST API does: anyone may call, an API key must be valid
(codeledger.api.ReadAccess: 401 otherwise), and calls are counted per key, person or address
as searches are (search.api.SearchThrottle: 429 with Retry-After). The views are left out of
the OpenAPI schema: FHIR clients read /fhir/metadata.
"""

from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.views import APIView

from codeledger.api import ReadAccess
from codeledger.domain import NotFound
from codeledger.parsers import JSONParser
from codeledger.throttling import RateLimitHeaders
from fhir import capabilities, concepts, expansion, parameters
from fhir.parameters import read_parameters, read_shape
from fhir.systems import by_id, fhir_systems, releases
from fhir.wire import (
    AlwaysFhirJSON,
    FhirJSONParser,
    FhirJSONRenderer,
    exception_handler,
    fhir_response,
    outcome,
)
from search.api import SearchThrottle

# Operations are GET or POST (a Parameters resource); reads are GET.
OPERATION_METHODS = ["get", "post"]


class FhirView(RateLimitHeaders, APIView):
    permission_classes = [ReadAccess]
    throttle_classes = [SearchThrottle]
    renderer_classes = [FhirJSONRenderer]
    parser_classes = [FhirJSONParser, JSONParser, FormParser]
    content_negotiation_class = AlwaysFhirJSON

    def get_exception_handler(self):
        return exception_handler


class OperationView(FhirView):
    http_method_names = [*OPERATION_METHODS, "options"]
    spec: dict = {}

    @extend_schema(exclude=True)
    def get(self, request):
        return fhir_response(self.answer(request, read_parameters(request, self.spec)))

    @extend_schema(exclude=True)
    def post(self, request):
        return self.get(request)

    def answer(self, request, params: dict) -> dict:
        raise NotImplementedError


class LookupView(OperationView):
    spec = parameters.LOOKUP

    def answer(self, request, params):
        return concepts.lookup(request, params)


class CodeSystemValidateCodeView(OperationView):
    spec = parameters.VALIDATE_CODE

    def answer(self, request, params):
        coding = params.get("coding") or {}
        url = params.get("url") or coding.get("system")
        code = params.get("code") or coding.get("code")
        missing = [name for name, value in (("url", url), ("code", code)) if not value]
        if missing:
            raise serializers.ValidationError({key: ["required"] for key in missing})
        fhir_system = concepts.code_system(url)
        concepts.check_version(fhir_system, params.get("version") or coding.get("version"))
        answer = concepts.validate_concept(request, fhir_system, code, params)
        return concepts.validation_parameters(fhir_system, answer)


class SubsumesView(OperationView):
    spec = parameters.SUBSUMES

    def answer(self, request, params):
        return concepts.subsumes(request, params)


class ExpandView(OperationView):
    spec = parameters.EXPAND

    def answer(self, request, params):
        return expansion.expand(request, params)


class ValueSetValidateCodeView(OperationView):
    spec = parameters.VALIDATE_CODE

    def answer(self, request, params):
        fhir_system, answer = expansion.validate_in_value_set(request, params)
        return concepts.validation_parameters(fhir_system, answer)


class MetadataView(FhirView):
    http_method_names = ["get", "options"]

    @extend_schema(exclude=True)
    def get(self, request):
        unknown = set(request.query_params) - {"mode", "_format", "_pretty"}
        mode = request.query_params.get("mode", "full")
        if unknown or mode not in ("full", "normative", "terminology"):
            raise serializers.ValidationError(
                {"mode": ["metadata takes mode=full, normative or terminology"]}
            )
        if mode == "terminology":
            return fhir_response(capabilities.terminology_capabilities(request))
        return fhir_response(capabilities.capability_statement(request))


class CodeSystemSearchView(FhirView):
    http_method_names = ["get", "options"]

    @extend_schema(exclude=True)
    def get(self, request):
        given = {k: v for k, v in request.query_params.items() if not k.startswith("_")}
        if unknown := sorted(set(given) - {"url", "version"}):
            raise serializers.ValidationError(
                {key: ["CodeSystem is searched by url and version"] for key in unknown}
            )
        shape = read_shape(request)
        found = [
            fhir_system
            for fhir_system in fhir_systems()
            if fhir_system.url == given.get("url", fhir_system.url)
        ]
        if "version" in given:
            found = [s for s in found if given["version"] in releases(s)]
        return fhir_response(capabilities.search_bundle(request, found, shape))


class CodeSystemReadView(FhirView):
    http_method_names = ["get", "options"]

    @extend_schema(exclude=True)
    def get(self, request, id):
        given = {k for k in request.query_params if k not in ("_summary", "_elements")}
        if unknown := sorted(k for k in given if k not in ("_format", "_pretty")):
            raise serializers.ValidationError(
                {key: ["a CodeSystem is read with _summary or _elements only"] for key in unknown}
            )
        shape = read_shape(request)
        fhir_system = by_id(id)
        if fhir_system is None:
            known = ", ".join(s.id for s in fhir_systems())
            raise NotFound(f"no CodeSystem/{id} (CodeLedger has: {known})")
        return fhir_response(capabilities.code_system_resource(request, fhir_system, shape))


def not_found(request, *args, **kwargs):
    """Any other path under /fhir/: a 404 OperationOutcome, never Django's page."""
    return JsonResponse(
        outcome(404, f"CodeLedger's FHIR service has nothing at {request.path}"),
        status=404,
        content_type="application/fhir+json",
    )
