"""`POST /api/v1/codes/check`: check a list of codes reported together (checks.engine).

Open like the code lookup API (codeledger.api.ReadAccess): anyone may check, an API key must be
valid. What the findings quote is withheld as on the code API (`withheld_for`): without the
licence, a licensed system's notes are never quoted; the metered notes are quoted to API keys
and editorial staff, others get the findings without note text (kinds, codes, where each note
is written) and read the notes on the code pages, within their allowance.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.licensing import request_api_key
from checks.engine import KINDS, MAX_CODES, check_codes, clean_codes
from codeledger.api import ReadAccess, StrictSerializer, SystemField, withheld_for
from codeledger.throttling import RateLimitHeaders, WindowThrottle


def rate(name: str) -> str:
    return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][name]  # codeledger/settings.py


class CheckThrottle(WindowThrottle):
    """Per API key, per signed-in person, or (a lower rate) per client address."""

    def scope(self, request) -> tuple[str, str]:
        key = request_api_key(request)  # ReadAccess has refused requests with a bad one
        if key is not None:
            return f"check_key:{key.prefix}", rate("check_key")
        if request.user and request.user.is_authenticated:
            return f"check_user:{request.user.pk}", rate("check_user")
        return f"check_anon:{self.get_ident(request)}", rate("check_anon")


class CodeListField(serializers.ListField):
    """A list of up to MAX_CODES codes; each item is checked by checks.engine.clean_codes, so
    that an error names the item (`codes[3]`), not DRF's nested index."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(), max_length=MAX_CODES, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not data:
            self.fail("empty")
        if len(data) > MAX_CODES:
            self.fail("max_length", max_length=MAX_CODES)
        return data


class CheckRequestSerializer(StrictSerializer):
    system = SystemField()
    codes = CodeListField(help_text=f"the codes reported together, in order (1 to {MAX_CODES})")
    date_of_service = serializers.DateField(
        required=False, help_text="the codes must be valid on this day (default: today)"
    )

    def validate(self, data):
        try:
            data["codes"] = clean_codes(data["system"], data["codes"])
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return data


class FindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    codes = serializers.ListField(
        child=serializers.CharField(), help_text="the listed codes it is about"
    )
    message = serializers.CharField()
    source = serializers.DictField(
        allow_null=True,
        help_text='the note: {"kind", "text", "from" (where it is written), "level", "code" '
        '(the listed code it applies to)}, "text" left out when notes are withheld; or the '
        'field: {"field", "code", "value"}; null for an unknown code',
    )
    satisfied = serializers.BooleanField(
        allow_null=True,
        help_text="code_first / use_additional: whether a listed code satisfies the "
        "instruction (code first: listed before); null when the note names no code",
    )
    suggestions = serializers.ListField(
        child=serializers.CharField(),
        help_text="header: billable codes below it (the first 20); seventh_character: the "
        "code with each 7th character",
    )


class CheckResultSerializer(serializers.Serializer):
    system = serializers.CharField()
    date_of_service = serializers.DateField()
    findings = FindingSerializer(many=True)
    valid = serializers.BooleanField(
        help_text="no unknown, not_in_force, header, seventh_character or excludes1 finding"
    )
    withheld = serializers.ListField(
        child=serializers.CharField(),
        help_text="content fields this caller may not read: with notes among them, findings "
        "quote no note text",
    )


class CheckView(RateLimitHeaders, APIView):
    permission_classes = [ReadAccess]
    throttle_classes = [CheckThrottle]

    @extend_schema(
        summary="Check a list of codes: unknown, not in force, headers, 7th characters, "
        "Excludes1/2, code first and use additional",
        request=CheckRequestSerializer,
        responses=CheckResultSerializer,
        examples=[
            OpenApiExample(
                "Type 1 and type 2 diabetes, and a fracture without its 7th character",
                request_only=True,
                value={
                    "system": "icd10cm",
                    "codes": ["E11.9", "E10.9", "S72.001"],
                    "date_of_service": "2026-05-01",
                },
            )
        ],
    )
    def post(self, request):
        params = CheckRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        system = params.validated_data["system"]
        withheld = withheld_for(request, system)
        result = check_codes(
            system,
            params.validated_data["codes"],
            params.validated_data.get("date_of_service"),
            withheld=withheld,
        )
        return Response(
            CheckResultSerializer(
                {
                    "system": system,
                    "date_of_service": result.date_of_service,
                    "findings": result.findings,
                    "valid": result.valid,
                    "withheld": sorted(withheld),
                }
            ).data
        )
