"""REST API for auditors: the change log and its exports, a code's timeline and blame, and the
integrity of the log. Read-only, except starting a verification (which writes no event).
"""

from datetime import date, timedelta

from django.core.validators import MaxValueValidator
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.licensing import unlicensed_systems
from audit import exports, integrity, selectors
from audit.models import VerificationRun
from codeledger.api import (
    CODE_PARAMS,
    CursorPages,
    PeopleOnly,
    StrictSerializer,
    SystemField,
    uses_api_key,
)
from codeledger.domain import ADMIN, AUDITOR, actor_for
from codeledger.problems import ProblemError
from events.integrity import Digest

REQUEST_STATES = [
    "submitted",
    "changes_requested",
    "approved",
    "rejected",
    "withdrawn",
    "conflicted",
]


class Verifiers(permissions.BasePermission):
    """Auditors and admins may run the chain verification (it checks the log, writes none)."""

    def has_permission(self, request, view):
        if uses_api_key(request):
            raise PermissionDenied("API keys are read-only: they can search and read codes")
        if not request.user or not request.user.is_authenticated:
            return False
        if not actor_for(request.user).roles & {AUDITOR, ADMIN}:
            raise PermissionDenied("running a verification needs the auditor or admin role")
        return True


# --- the change log -------------------------------------------------------------------------


class LogFilterSerializer(StrictSerializer):
    actor = serializers.CharField(required=False, max_length=150)
    role = serializers.ChoiceField(
        choices=selectors.ROLES, required=False, help_text=selectors.ROLE_HELP
    )
    system = SystemField(required=False)
    code = serializers.CharField(required=False, max_length=20)
    type = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="event types; repeat the parameter for several",
    )
    request_state = serializers.ChoiceField(
        choices=REQUEST_STATES,
        required=False,
        help_text="events of change requests now in this state",
    )
    change_request = serializers.UUIDField(required=False)
    since = serializers.DateField(required=False, help_text="recorded on or after this day")
    until = serializers.DateField(
        required=False,
        help_text="recorded on or before this day",
        # The day after `until` bounds the query: the calendar's last day has none.
        validators=[MaxValueValidator(date.max - timedelta(days=1))],
    )
    cursor = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=500)

    def validate(self, data):
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": ["must not be before since"]})
        return data

    @classmethod
    def parse(cls, query, *, request) -> selectors.LogFilters:
        """Validated filters from a query string (400 with field errors otherwise); events of
        licensed systems the asker holds no licence for are left out."""
        # An empty parameter is no filter (a form's "Any" choice sends one).
        data = {key: query.get(key) for key in query if key != "type" and query.get(key) != ""}
        types = [t for value in query.getlist("type") for t in value.split(",") if t]
        if types:
            data["type"] = types
        params = cls(data=data)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        return selectors.LogFilters(
            actor=values.get("actor", ""),
            role=values.get("role", ""),
            system=values.get("system", ""),
            code=values.get("code", ""),
            types=tuple(values.get("type", ())),
            request_state=values.get("request_state", ""),
            change_request=str(values.get("change_request") or ""),
            since=values.get("since"),
            until=values.get("until"),
            hidden_systems=tuple(unlicensed_systems(request)),
        )


class LogEntrySerializer(serializers.Serializer):
    position = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
    type = serializers.CharField()
    summary = serializers.CharField()
    actor = serializers.CharField()
    system = serializers.CharField()
    code = serializers.CharField()
    change_request = serializers.UUIDField(allow_null=True)
    release_id = serializers.UUIDField(allow_null=True)
    stream = serializers.CharField()
    version = serializers.IntegerField()


class LogPagination(CursorPages):
    ordering = "-pk"  # newest first; positions are unique and never change
    page_size = 50
    max_page_size = 500
    page_size_query_param = "size"


class ChangeLogView(APIView):
    permission_classes = [PeopleOnly]
    pagination_class = LogPagination  # the schema shows its pages

    @extend_schema(
        summary="The global change log: every event in domain words, newest first",
        parameters=[LogFilterSerializer],
        responses=LogEntrySerializer(many=True),
    )
    def get(self, request):
        filters = LogFilterSerializer.parse(request.query_params, request=request)
        rows = selectors.change_log(filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(LogEntrySerializer(page, many=True).data)


def _export_view(fmt: str):
    class ExportView(APIView):
        permission_classes = [PeopleOnly]

        @extend_schema(
            summary=f"Export the filtered change log as {fmt.upper()} (streamed, in position "
            "order, with event ids and hashes)",
            parameters=[LogFilterSerializer],
            responses={(200, exports.FORMATS[fmt].split(";")[0]): OpenApiTypes.STR},
        )
        def get(self, request):
            filters = LogFilterSerializer.parse(request.query_params, request=request)
            rows = selectors.change_log(filters)
            response = StreamingHttpResponse(
                exports.chunks(rows, fmt), content_type=exports.FORMATS[fmt]
            )
            response["Content-Disposition"] = f'attachment; filename="codeledger-log.{fmt}"'
            return response

    ExportView.__name__ = f"{fmt.capitalize()}ExportView"
    return ExportView


CsvExportView = _export_view("csv")
JsonLinesExportView = _export_view("jsonl")


# --- one code ---------------------------------------------------------------------------------


class TimelineView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="A code's timeline: every version with word-level diffs, proposer, reviewer, "
        "rationale, comments, dates and positions; and requests that changed nothing",
        parameters=CODE_PARAMS,
        responses=inline_serializer(
            "CodeTimeline",
            {
                "system": serializers.CharField(),
                "code": serializers.CharField(),
                "versions": serializers.ListField(child=serializers.DictField()),
                "requests": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request, system, code):
        data = selectors.timeline(system=system, code=code)
        return Response(serializers.DictField().to_representation(data))


class BlameParams(StrictSerializer):
    as_of = serializers.DateField(required=False)


class BlameView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Field-level blame: who last changed each field, in which request, approved "
        "by whom, when (and any approved change not yet in force)",
        parameters=[*CODE_PARAMS, BlameParams],
        responses=inline_serializer(
            "CodeBlame",
            {
                "system": serializers.CharField(),
                "code": serializers.CharField(),
                "as_of": serializers.DateField(),
                "fields": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request, system, code):
        params = BlameParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = selectors.blame(system=system, code=code, **params.validated_data)
        return Response(serializers.DictField().to_representation(data))


# --- integrity --------------------------------------------------------------------------------


class VerificationSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    finished = serializers.BooleanField(read_only=True)

    class Meta:
        model = VerificationRun
        fields = [
            "id",
            "status",
            "finished",
            "percent",
            "requested_by",
            "requested_at",
            "started_at",
            "finished_at",
            "total",
            "checked",
            "digest_position",
            "digest_hash",
            "head_position",
            "head_hash",
            "problem_position",
            "problem_kind",
            "problem_detail",
            "error",
        ]


class DigestSerializer(StrictSerializer):
    position = serializers.IntegerField(min_value=1)
    hash = serializers.RegexField(r"^[0-9a-f]{64}$", help_text="64 hex digits")
    taken_at = serializers.CharField(required=False, allow_blank=True, max_length=40)
    key_id = serializers.CharField(required=False, allow_blank=True, max_length=40)
    mac = serializers.RegexField(
        r"^([0-9a-f]{64})?$",
        required=False,
        allow_blank=True,
        help_text="the digest's MAC under seal key `key_id` (digests issued since seals exist)",
    )

    def validate(self, data):
        digest = Digest(**{"taken_at": "", **data})
        if digest.authentic() is False:
            raise serializers.ValidationError({"mac": [NOT_ISSUED_HERE]})
        return data


# A digest is refused when its MAC does not match: forged, or signed with a key no longer listed.
NOT_ISSUED_HERE = (
    "this digest's MAC does not match: this CodeLedger did not issue it (or its seal key is no "
    "longer listed in EVENT_SEAL_KEYS); nothing was started"
)


class VerifyRequestSerializer(StrictSerializer):
    digest = DigestSerializer(
        required=False,
        help_text="a digest saved earlier: the log must still contain its event",
    )


class IntegrityView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="The head of the log (position and hash) and the latest verification runs",
        responses=inline_serializer(
            "Integrity",
            {
                "head": inline_serializer(
                    "Head",
                    {"position": serializers.IntegerField(), "hash": serializers.CharField()},
                ),
                "last_run": VerificationSerializer(allow_null=True),
                "last_result": VerificationSerializer(allow_null=True),
            },
        ),
    )
    def get(self, request):
        last, finished = integrity.last_run(), integrity.last_finished_run()
        return Response(
            {
                "head": integrity.head(),
                "last_run": VerificationSerializer(last).data if last else None,
                "last_result": VerificationSerializer(finished).data if finished else None,
            }
        )


class VerificationListView(APIView):
    permission_classes = [Verifiers]

    @extend_schema(
        summary="Verify the whole hash chain in the background (optionally against a saved "
        "digest); poll the run for progress and the result",
        request=VerifyRequestSerializer,
        responses={202: VerificationSerializer},
    )
    def post(self, request):
        body = VerifyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        digest = body.validated_data.get("digest")
        run, _ = integrity.start(
            requested_by=request.user.get_username(),
            digest=Digest(**{"taken_at": "", **digest}) if digest else None,
        )
        run.refresh_from_db()  # where it stands now (the broker may have refused it)
        response = Response(VerificationSerializer(run).data, status=202)
        response["Location"] = f"{request.path.rstrip('/')}/{run.pk}"
        return response


class VerificationDetailView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="One verification run: progress while it runs, then its result",
        parameters=[OpenApiParameter("run_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses=VerificationSerializer,
    )
    def get(self, request, run_id):
        run = VerificationRun.objects.filter(pk=run_id).first()
        if run is None:
            raise ProblemError(404, f"no verification run {run_id}")
        return Response(VerificationSerializer(run).data)


class DigestView(APIView):
    permission_classes = [PeopleOnly]
    problem_statuses = (404,)  # before the first successful verification

    @extend_schema(
        summary="Download the digest of the last successful verification (head position, "
        "hash, time): keep it, and verify a later log against it",
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request):
        run = VerificationRun.objects.filter(status=VerificationRun.OK).first()
        if run is None:
            raise ProblemError(
                404, "no successful verification yet: run one, then download its digest"
            )
        response = HttpResponse(integrity.digest_of(run).to_json(), content_type="application/json")
        name = f"codeledger-digest-{run.head_position}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
