"""CasePilot's REST API: `POST /api/v1/assistant/ask`.

People with an account ask through their session; consumers with an API key, within its
throttle. Anonymous callers get 401 (the site shows them "Register to view content"). Licensed
text is withheld as on the code API: CasePilot never retells a CPT code's text to a caller
whose organisation holds no CPT licence. Questions and answers are not stored.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.licensing import licensed_systems, request_api_key, unlicensed_systems
from assistant.answers import MAX_QUESTION, ask, clean_question
from assistant.intents import INTENTS
from codeledger.api import ReadAccess, StrictSerializer, SystemField
from codeledger.throttling import RateLimitHeaders, WindowThrottle
from codes.redaction import withheld_fields


def rate(name: str) -> str:
    return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][name]  # codeledger/settings.py


class AssistantThrottle(WindowThrottle):
    """Per API key or per signed-in person (anonymous callers are refused before this)."""

    def scope(self, request) -> tuple[str, str]:
        key = request_api_key(request)
        if key is not None:
            return f"assistant_key:{key.prefix}", rate("assistant_key")
        return f"assistant_user:{request.user.pk}", rate("assistant_user")


class MayAsk(ReadAccess):
    """A signed-in person or a valid API key (an invalid key is refused as on every read)."""

    public = False

    def has_permission(self, request, view):
        super().has_permission(request, view)
        if request_api_key(request) is not None or request.user.is_authenticated:
            return True
        raise NotAuthenticated("CasePilot answers free accounts and API keys: register or sign in")


def withheld_for_asker(request):
    """The fields of a system's codes the asker may not read: licensed text only. Asking is
    what an account is for, so the code pages' meter does not apply (docs/assistant.md)."""
    held = licensed_systems(request)
    return lambda system: withheld_fields(system, held)


class AskSerializer(StrictSerializer):
    question = serializers.CharField(
        max_length=MAX_QUESTION,
        help_text="a coder's question, e.g. 'can E11.9 and E10.9 be coded together'",
    )
    system = SystemField(default="icd10cm")
    code = serializers.CharField(
        required=False,
        max_length=20,
        help_text="the code the question is about, when it names none (the code page's code)",
    )

    def validate(self, data):
        try:
            question, system, code = clean_question(**{"code": None, **data})
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return {"question": question, "system": system, "code": code}


class CitationSerializer(serializers.Serializer):
    system = serializers.CharField()
    code = serializers.CharField()
    version = serializers.IntegerField(help_text="the version of the code that was read")
    url = serializers.CharField(help_text="the code's page")
    field = serializers.CharField(
        help_text="what was read: official_descriptor, explanation, notes.<kind> (the code the "
        "note is written on), alphabetic_index, search, history"
    )


class FollowupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["question", "search"])
    text = serializers.CharField()
    url = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    intent = serializers.ChoiceField(choices=INTENTS)
    citations = CitationSerializer(many=True)
    followups = FollowupSerializer(many=True)


class AskView(RateLimitHeaders, APIView):
    permission_classes = [MayAsk]
    throttle_classes = [AssistantThrottle]

    @extend_schema(
        summary="Ask CasePilot a coding question; answered from CodeLedger's content, cited",
        request=AskSerializer,
        responses=AnswerSerializer,
    )
    def post(self, request):
        params = AskSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        answer = ask(
            **params.validated_data,
            withheld=withheld_for_asker(request),
            hidden=unlicensed_systems(request),
        )
        return Response(AnswerSerializer(answer.as_dict()).data)
