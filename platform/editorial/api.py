"""REST API for codes (lookup, history, diff, as-of) and change requests (the review workflow).

Views stay thin: parse input with a serializer, call one service or selector, serialize.
Errors become problem details in codeledger.problems.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.licensing import licensed_systems, request_api_key
from editorial import releases, selectors, services
from editorial.content import (
    FIELDS,
    METERED_FIELDS,
    attribution,
    redact,
    redact_changes,
    withheld_fields,
)
from editorial.diff import content_diff
from editorial.domain import ADMIN, AUDITOR, EDITOR, REVIEWER
from editorial.licences import require_licence, unlicensed_systems
from editorial.systems import SYSTEMS

STAFF_ROLES = {EDITOR, REVIEWER, AUDITOR, ADMIN}
WRITER_ROLES = {EDITOR, REVIEWER, ADMIN}


# --- permissions --------------------------------------------------------------------------


def _uses_api_key(request) -> bool:
    return bool(request.META.get("HTTP_AUTHORIZATION", "").startswith("Api-Key "))


class ReadAccess(permissions.BasePermission):
    """Anyone may read codes; a request that presents an API key must present a valid one."""

    def has_permission(self, request, view):
        if _uses_api_key(request) and request_api_key(request) is None:
            # Said outright: DRF's default for a refused request without a signed-in user is
            # "Authentication credentials were not provided", which a key's bearer did provide.
            raise AuthenticationFailed(
                "This API key is not valid: unknown, revoked or expired "
                "(send it as 'Authorization: Api-Key <key>')."
            )
        return True


class PeopleOnly(permissions.BasePermission):
    """Signed-in people with a role; API keys are for reading codes only."""

    def has_permission(self, request, view):
        if _uses_api_key(request):
            raise PermissionDenied("API keys are read-only: they can search and read codes")
        if not request.user or not request.user.is_authenticated:
            return False
        actor = services.actor_for(request.user)
        if not actor.roles & STAFF_ROLES:
            raise PermissionDenied("this needs an editorial role (editor, reviewer, auditor)")
        if request.method not in permissions.SAFE_METHODS and not actor.roles & WRITER_ROLES:
            # Refused before the input is read: an auditor's write is a 403, never a 400.
            raise PermissionDenied("auditors read everything and change nothing")
        try:
            require_licence(request, view.kwargs)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return True


# --- serializers --------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is a 400 and not a silent no-op."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


class ChangeRequestCreateSerializer(StrictSerializer):
    system = serializers.ChoiceField(choices=sorted(SYSTEMS))
    code = serializers.CharField(max_length=20)
    is_new = serializers.BooleanField(default=False)
    base_version = serializers.IntegerField(min_value=0)
    changes = serializers.DictField(help_text=f"field -> new value; fields: {', '.join(FIELDS)}")
    rationale = serializers.CharField(allow_blank=True, max_length=5000)
    effective_from = serializers.DateField(required=False, allow_null=True)


class DecisionSerializer(StrictSerializer):
    expected_version = serializers.IntegerField(min_value=1)


class ApproveSerializer(DecisionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class RejectSerializer(DecisionSerializer):
    reason = serializers.CharField(allow_blank=True, max_length=5000)


class RequestChangesSerializer(DecisionSerializer):
    message = serializers.CharField(allow_blank=True, max_length=5000)


class ReviseSerializer(DecisionSerializer):
    base_version = serializers.IntegerField(min_value=0)
    changes = serializers.DictField()
    rationale = serializers.CharField(allow_blank=True, max_length=5000)
    effective_from = serializers.DateField(required=False, allow_null=True)


class CommentSerializer(StrictSerializer):
    text = serializers.CharField(allow_blank=True, max_length=5000)
    expected_version = serializers.IntegerField(min_value=1, required=False)


class ChangeRequestSerializer(serializers.Serializer):
    change_id = serializers.UUIDField()
    version = serializers.IntegerField(help_text="pass as expected_version to act on it")
    status = serializers.CharField()
    conflicted = serializers.BooleanField(default=False)
    kind = serializers.CharField()
    system = serializers.CharField()
    code = serializers.CharField()
    is_new = serializers.BooleanField()
    base_version = serializers.IntegerField()
    changes = serializers.DictField()
    rationale = serializers.CharField()
    effective_from = serializers.DateField(allow_null=True)
    proposer = serializers.CharField()
    reviewer = serializers.CharField(allow_blank=True)
    decision = serializers.CharField(allow_blank=True)
    reverts_version = serializers.IntegerField(allow_null=True)
    comments = serializers.ListField(child=serializers.DictField())


class WrittenChangeRequestSerializer(ChangeRequestSerializer):
    position = serializers.IntegerField(
        help_text="event position of this write (read your writes: pass as min_position)"
    )


class CodeSerializer(serializers.Serializer):
    system = serializers.CharField()
    code = serializers.CharField()
    version = serializers.IntegerField(
        help_text="the code's latest version, scheduled changes included: send it as "
        "base_version or expected_version"
    )
    in_force_version = serializers.IntegerField(help_text="the version of `content`")
    content = serializers.DictField()
    needs_review = serializers.BooleanField()
    scheduled = serializers.ListField(child=serializers.DictField())
    registered_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    position = serializers.IntegerField()
    attribution = serializers.DictField(
        help_text="per content field: source, licence, line (as shown under the section) and "
        "restricted (shown only to holders of the system's licence)"
    )
    withheld = serializers.ListField(
        child=serializers.CharField(),
        help_text="fields emptied in `content`: licensed text this caller's organisation holds "
        "no licence for, and the metered sections (common-language description, notes, related "
        "codes, lay terms) unless the caller presents an API key or is editorial staff",
    )


def _withheld(request, system: str) -> frozenset[str]:
    """The fields of a code this caller may not read through the API: licensed text their
    organisation holds no licence for; and the metered sections, unless the caller presents an
    API key (metered by its own rate limits) or is editorial staff. Everyone else reads those
    on the code pages, within their allowance (docs/accounts.md)."""
    withheld = withheld_fields(system, licensed_systems(request))
    user = request.user
    staff = bool(user and user.is_authenticated and services.actor_for(user).roles & STAFF_ROLES)
    if not (_uses_api_key(request) or staff):
        withheld |= METERED_FIELDS
    return withheld


def _licensing(request, system: str, content: dict) -> dict:
    """The caller's view of `content`: withheld fields emptied, and every field's source."""
    withheld = _withheld(request, system)
    return {
        "content": redact(content, withheld),
        "attribution": attribution(system, content),
        "withheld": sorted(withheld),
    }


def _code_data(entry, request) -> dict:
    return {
        "system": entry.system,
        "code": entry.code,
        "version": entry.version,
        "in_force_version": entry.in_force_version,
        **_licensing(request, entry.system, entry.content),
        "needs_review": entry.needs_review,
        "scheduled": entry.scheduled,
        "registered_at": entry.registered_at,
        "updated_at": entry.updated_at,
        "position": entry.position,
    }


def _view_data(view, request) -> dict:
    state = view.state
    return {
        "system": state.system,
        "code": state.code,
        "version": state.version,
        "in_force_version": state.version,
        **_licensing(request, state.system, state.content),
        "needs_review": state.needs_review,
        "scheduled": view.scheduled,
        "registered_at": view.registered_at,
        "updated_at": view.updated_at,
        "position": view.position,
    }


def _written(written) -> Response:
    request = written.change_request
    data = {
        **request.__dict__,
        "comments": list(request.comments),
        "position": written.position,
        "conflicted": False,
    }
    return Response(WrittenChangeRequestSerializer(data).data)


# --- codes --------------------------------------------------------------------------------

CODE_PARAMS = [
    OpenApiParameter("system", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(SYSTEMS)),
    OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH),
]


class AsOfSerializer(StrictSerializer):
    as_of = serializers.DateField(required=False)
    known_at = serializers.DateTimeField(required=False)


class CodeDetailView(APIView):
    permission_classes = [ReadAccess]

    @extend_schema(
        summary="Look up a code: its content in force today, or on a date as known at a time",
        parameters=[
            *CODE_PARAMS,
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="content in force on this date"
            ),
            OpenApiParameter(
                "known_at",
                OpenApiTypes.DATETIME,
                description="what the platform said at this moment",
            ),
        ],
        responses=CodeSerializer,
    )
    def get(self, request, system, code):
        params = AsOfSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        if params.validated_data:
            view = selectors.code_as_of(system=system, code=code, **params.validated_data)
            return Response(CodeSerializer(_view_data(view, request)).data)
        entry = selectors.code_current(system=system, code=code)
        return Response(CodeSerializer(_code_data(entry, request)).data)


class CodeHistoryView(APIView):
    permission_classes = [ReadAccess]

    @extend_schema(
        summary="Every version of a code: what changed, proposer, reviewer, rationale, dates",
        parameters=CODE_PARAMS,
        responses=inline_serializer(
            "CodeHistory",
            {
                "system": serializers.CharField(),
                "code": serializers.CharField(),
                "versions": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request, system, code):
        versions = selectors.code_history(system=system, code=code)
        if withheld := _withheld(request, system):
            # Rationales quote the text they change: withheld with it.
            versions = [
                {**v, "changes": redact_changes(v["changes"], withheld), "rationale": ""}
                for v in versions
            ]
        return Response(
            {
                "system": system,
                "code": SYSTEMS[system].display(code),
                "versions": serializers.ListField(child=serializers.DictField()).to_representation(
                    versions
                ),
            }
        )


class DiffParams(StrictSerializer):
    from_ = serializers.IntegerField(min_value=1)
    to = serializers.IntegerField(min_value=1)

    def to_internal_value(self, data):
        data = dict(data)
        if "from" in data:
            data["from_"] = data.pop("from")
        return super().to_internal_value(data)


class CodeDiffView(APIView):
    permission_classes = [ReadAccess]

    @extend_schema(
        summary="Field-level and word-level differences between two versions of a code",
        parameters=[
            *CODE_PARAMS,
            OpenApiParameter("from", OpenApiTypes.INT, required=True),
            OpenApiParameter("to", OpenApiTypes.INT, required=True),
        ],
        responses=inline_serializer(
            "CodeDiff",
            {
                "from": serializers.IntegerField(),
                "to": serializers.IntegerField(),
                "fields": serializers.ListField(child=serializers.DictField()),
                "withheld": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request, system, code):
        params = DiffParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        old = selectors.code_at_version(
            system=system, code=code, version=params.validated_data["from_"]
        )
        new = selectors.code_at_version(
            system=system, code=code, version=params.validated_data["to"]
        )
        withheld = _withheld(request, system)
        return Response(
            {
                "from": old.version,
                "to": new.version,
                "fields": content_diff(
                    redact(old.content, withheld), redact(new.content, withheld)
                ),
                "withheld": sorted(withheld),
            }
        )


class ConfirmDescriptionView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Confirm the common-language description still fits the descriptor",
        parameters=CODE_PARAMS,
        request=DecisionSerializer,
        responses=CodeSerializer,
    )
    def post(self, request, system, code):
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        written = services.code_confirm_description(
            actor=services.actor_for(request.user),
            system=system,
            code=code,
            expected_version=body.validated_data["expected_version"],
        )
        state = written.code
        return Response(
            {
                "system": state.system,
                "code": state.code,
                "version": state.version,
                "needs_review": state.needs_review,
                "position": written.position,
            }
        )


class RevertSerializer(StrictSerializer):
    rationale = serializers.CharField(allow_blank=True, max_length=5000)


class RevertView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Start a revert of a past revision: a new change request with the inverse change",
        parameters=[
            *CODE_PARAMS,
            OpenApiParameter("version", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=RevertSerializer,
        responses={201: WrittenChangeRequestSerializer},
    )
    def post(self, request, system, code, version):
        body = RevertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        written = services.change_request_revert(
            actor=services.actor_for(request.user),
            system=system,
            code=code,
            version=version,
            rationale=body.validated_data["rationale"],
        )
        response = _written(written)
        response.status_code = 201
        return response


# --- change requests ----------------------------------------------------------------------


class QueuePagination(CursorPagination):
    ordering = "submitted_position"  # immutable and unique: stable pages
    page_size = 50
    max_page_size = 200
    page_size_query_param = "size"


class ChangeRequestFilters(StrictSerializer):
    status = serializers.ChoiceField(
        choices=[
            "submitted",
            "changes_requested",
            "approved",
            "rejected",
            "withdrawn",
            "conflicted",
        ],
        required=False,
    )
    system = serializers.ChoiceField(choices=sorted(SYSTEMS), required=False)
    code = serializers.CharField(required=False, max_length=20)
    proposer = serializers.CharField(required=False, max_length=150)
    reviewer = serializers.CharField(required=False, max_length=150)
    cursor = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class ChangeRequestListView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="The review queue: change requests, oldest first (cursor pagination)",
        parameters=[ChangeRequestFilters],
        responses=ChangeRequestSerializer(many=True),
    )
    def get(self, request):
        filters = ChangeRequestFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        query = {k: v for k, v in filters.validated_data.items() if k not in ("cursor", "size")}
        paginator = QueuePagination()
        rows = selectors.change_requests(**query).exclude(system__in=unlicensed_systems(request))
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ChangeRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="Propose a change to a code (or a new code); rationale required",
        request=ChangeRequestCreateSerializer,
        responses={201: WrittenChangeRequestSerializer},
    )
    def post(self, request):
        body = ChangeRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            require_licence(request, {}, system=body.validated_data["system"])
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        written = services.change_request_submit(
            actor=services.actor_for(request.user), **body.validated_data
        )
        response = _written(written)
        response.status_code = 201
        return response


CHANGE_PARAM = [OpenApiParameter("change_id", OpenApiTypes.UUID, OpenApiParameter.PATH)]


class ChangeRequestDetailView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="A change request with its comments",
        parameters=CHANGE_PARAM,
        responses=ChangeRequestSerializer,
    )
    def get(self, request, change_id):
        entry = selectors.change_request_detail(change_id=change_id)
        data = ChangeRequestSerializer(entry).data
        if entry.conflicted:
            # What the proposer must rebase onto: the latest state, scheduled changes included.
            current = services.load_code(entry.system, entry.code)
            data["current_version"] = current.version
            data["current_values"] = {name: current.content.get(name) for name in entry.changes}
        return Response(data)


def _action_view(serializer_class, service, summary):
    class ActionView(APIView):
        permission_classes = [PeopleOnly]

        @extend_schema(
            summary=summary,
            parameters=CHANGE_PARAM,
            request=serializer_class,
            responses=WrittenChangeRequestSerializer,
        )
        def post(self, request, change_id):
            body = serializer_class(data=request.data)
            body.is_valid(raise_exception=True)
            written = service(
                actor=services.actor_for(request.user), change_id=change_id, **body.validated_data
            )
            return _written(written)

    ActionView.__name__ = f"{service.__name__.title().replace('_', '')}View"
    return ActionView


ApproveView = _action_view(
    ApproveSerializer,
    services.change_request_approve,
    "Approve: applies the change to the code in the same atomic append",
)
RejectView = _action_view(RejectSerializer, services.change_request_reject, "Reject, with a reason")
RequestChangesView = _action_view(
    RequestChangesSerializer,
    services.change_request_request_changes,
    "Send back to the proposer, with a message",
)
ReviseView = _action_view(
    ReviseSerializer,
    services.change_request_revise,
    "Revise (the proposer): new changes against the current code version",
)
WithdrawView = _action_view(
    DecisionSerializer,
    services.change_request_withdraw,
    "Withdraw (the proposer) while not decided",
)
CommentView = _action_view(CommentSerializer, services.change_request_comment, "Add a comment")


# --- release change sets ------------------------------------------------------------------


class ReleaseSerializer(serializers.Serializer):
    release_id = serializers.UUIDField()
    system = serializers.CharField()
    source = serializers.CharField()
    release = serializers.CharField()
    proposer = serializers.CharField()
    effective_from = serializers.DateField(allow_null=True)
    status = serializers.CharField(help_text="open while items are pending, then completed")
    counts = serializers.DictField(help_text="as diffed: items per kind, revisions per field")
    items = serializers.IntegerField()
    pending = serializers.IntegerField()
    applied = serializers.IntegerField()
    rejected = serializers.IntegerField()
    conflicted = serializers.IntegerField(help_text="pending items an approval could not apply")
    version = serializers.IntegerField()
    proposed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    position = serializers.IntegerField()


class ReleaseItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    fields = serializers.SerializerMethodField(method_name="field_names")
    changes = serializers.DictField(help_text='field -> {"from": old, "to": new}, as diffed')
    status = serializers.CharField()
    conflicts = serializers.DictField(help_text="field -> current value that clashed")
    decided_by = serializers.CharField()
    reason = serializers.CharField()

    def field_names(self, item) -> list[str]:
        return [name for name in item.fields.split(",") if name]


class ReleaseFilters(StrictSerializer):
    system = serializers.ChoiceField(choices=sorted(SYSTEMS), required=False)
    cursor = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class ReleaseItemFilters(StrictSerializer):
    kind = serializers.ChoiceField(choices=list(releases.ITEM_KINDS), required=False)
    status = serializers.ChoiceField(choices=["pending", "applied", "rejected"], required=False)
    field = serializers.ChoiceField(choices=list(FIELDS), required=False)
    code = serializers.CharField(required=False, max_length=20, help_text="a code prefix")
    conflicted = serializers.BooleanField(required=False, allow_null=True, default=None)
    cursor = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=500)


class ReleasePagination(CursorPagination):
    ordering = "-proposed_position"
    page_size = 20
    page_size_query_param = "size"
    max_page_size = 200


class ReleaseItemPagination(CursorPagination):
    ordering = "code"  # unique within a release
    page_size = 50
    page_size_query_param = "size"
    max_page_size = 500


class ReleaseApproveSerializer(StrictSerializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        min_length=1,
        max_length=services.RELEASE_SYNC_LIMIT,
        help_text="the items to approve (default: every pending item)",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ReleaseRejectSerializer(StrictSerializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        min_length=1,
        help_text="the items to reject (default: every pending item)",
    )
    reason = serializers.CharField(allow_blank=True, max_length=5000)


class ReleaseDecisionSerializer(serializers.Serializer):
    release_id = serializers.UUIDField()
    status = serializers.CharField(help_text="open, completed, or queued (applied by a task)")
    applied = serializers.ListField(child=serializers.CharField())
    rejected = serializers.ListField(child=serializers.CharField())
    conflicts = serializers.DictField(help_text="code -> {field: current value}: not applied")
    pending = serializers.IntegerField()
    position = serializers.IntegerField(help_text="event position of this decision")


RELEASE_PARAM = [OpenApiParameter("release_id", OpenApiTypes.UUID, OpenApiParameter.PATH)]


class ReleaseListView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Release change sets (new editions of code sets to review), newest first",
        parameters=[ReleaseFilters],
        responses=ReleaseSerializer(many=True),
    )
    def get(self, request):
        filters = ReleaseFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        paginator = ReleasePagination()
        rows = selectors.releases(system=filters.validated_data.get("system"))
        rows = rows.exclude(system__in=unlicensed_systems(request))
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ReleaseSerializer(page, many=True).data)


class ReleaseDetailView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="A release change set: counts of items per kind and state",
        parameters=RELEASE_PARAM,
        responses=ReleaseSerializer,
    )
    def get(self, request, release_id):
        return Response(ReleaseSerializer(selectors.release_detail(release_id=release_id)).data)


class ReleaseItemsView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="The items of a release, by code, with their field changes (filters, cursor)",
        parameters=[*RELEASE_PARAM, ReleaseItemFilters],
        responses=ReleaseItemSerializer(many=True),
    )
    def get(self, request, release_id):
        filters = ReleaseItemFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        query = {k: v for k, v in filters.validated_data.items() if k not in ("cursor", "size")}
        paginator = ReleaseItemPagination()
        rows = selectors.release_items(release_id=release_id, **query)
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ReleaseItemSerializer(page, many=True).data)


def _decision(decision, release_id) -> Response:
    return Response(
        ReleaseDecisionSerializer(
            {
                "release_id": release_id,
                "status": "queued" if decision.queued else decision.release.status,
                "applied": decision.applied,
                "rejected": decision.rejected,
                "conflicts": decision.conflicts,
                "pending": len(decision.release.pending),
                "position": decision.position,
            }
        ).data,
        status=202 if decision.queued else 200,
    )


class ReleaseApproveView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Approve release items (all pending, or the codes given): each is applied to "
        "its code atomically with the release's effective date; conflicting ones stay pending",
        parameters=RELEASE_PARAM,
        request=ReleaseApproveSerializer,
        responses={200: ReleaseDecisionSerializer, 202: ReleaseDecisionSerializer},
    )
    def post(self, request, release_id):
        body = ReleaseApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = services.actor_for(request.user)
        codes = body.validated_data.get("codes")
        note = body.validated_data["note"]
        if codes is None:
            decision = services.release_approve_all(actor=actor, release_id=release_id, note=note)
        else:
            decision = services.release_approve(
                actor=actor, release_id=release_id, codes=codes, note=note
            )
        return _decision(decision, release_id)


class ReleaseRejectView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Reject release items (all pending, or the codes given), with a reason",
        parameters=RELEASE_PARAM,
        request=ReleaseRejectSerializer,
        responses=ReleaseDecisionSerializer,
    )
    def post(self, request, release_id):
        body = ReleaseRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = services.release_reject(
            actor=services.actor_for(request.user), release_id=release_id, **body.validated_data
        )
        return _decision(decision, release_id)
