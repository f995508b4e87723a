"""REST API of the review workflow: propose, comment, revise, withdraw, approve, reject,
request changes; revert a past revision; confirm a common-language description.

Views stay thin: parse input with a serializer, call one action or selector, serialize.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.licensing import require_licence, unlicensed_systems
from codeledger.api import CODE_PARAMS, CursorPages, PeopleOnly, StrictSerializer, SystemField
from codeledger.domain import actor_for
from codes.content import FIELDS
from codes.selectors import load_code
from review import actions, selectors


class ChangeRequestCreateSerializer(StrictSerializer):
    system = SystemField()
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


def _written(written) -> Response:
    request = written.change_request
    data = {
        **request.__dict__,
        "comments": list(request.comments),
        "position": written.position,
        "conflicted": False,
    }
    return Response(WrittenChangeRequestSerializer(data).data)


class ConfirmDescriptionView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Confirm the common-language description still fits the descriptor",
        parameters=CODE_PARAMS,
        request=DecisionSerializer,
        responses=inline_serializer(
            "ConfirmedDescription",
            {
                "system": serializers.CharField(),
                "code": serializers.CharField(),
                "version": serializers.IntegerField(),
                "needs_review": serializers.BooleanField(),
                "position": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request, system, code):
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        written = actions.code_confirm_description(
            actor=actor_for(request.user),
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
        written = actions.change_request_revert(
            actor=actor_for(request.user),
            system=system,
            code=code,
            version=version,
            rationale=body.validated_data["rationale"],
        )
        response = _written(written)
        response.status_code = 201
        return response


# --- change requests ----------------------------------------------------------------------


class QueuePagination(CursorPages):
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
    system = SystemField(required=False)
    code = serializers.CharField(required=False, max_length=20)
    proposer = serializers.CharField(required=False, max_length=150)
    reviewer = serializers.CharField(required=False, max_length=150)
    cursor = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class ChangeRequestListView(APIView):
    permission_classes = [PeopleOnly]
    pagination_class = QueuePagination  # the schema shows its pages

    @extend_schema(
        summary="The review queue: change requests, oldest first (cursor pagination)",
        parameters=[ChangeRequestFilters],
        responses=ChangeRequestSerializer(many=True),
    )
    def get(self, request):
        filters = ChangeRequestFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        query = {k: v for k, v in filters.validated_data.items() if k not in ("cursor", "size")}
        paginator = self.pagination_class()
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
        written = actions.change_request_submit(
            actor=actor_for(request.user), **body.validated_data
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
            current = load_code(entry.system, entry.code)
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
                actor=actor_for(request.user), change_id=change_id, **body.validated_data
            )
            return _written(written)

    ActionView.__name__ = f"{service.__name__.title().replace('_', '')}View"
    return ActionView


ApproveView = _action_view(
    ApproveSerializer,
    actions.change_request_approve,
    "Approve: applies the change to the code in the same atomic append",
)
RejectView = _action_view(RejectSerializer, actions.change_request_reject, "Reject, with a reason")
RequestChangesView = _action_view(
    RequestChangesSerializer,
    actions.change_request_request_changes,
    "Send back to the proposer, with a message",
)
ReviseView = _action_view(
    ReviseSerializer,
    actions.change_request_revise,
    "Revise (the proposer): new changes against the current code version",
)
WithdrawView = _action_view(
    DecisionSerializer,
    actions.change_request_withdraw,
    "Withdraw (the proposer) while not decided",
)
CommentView = _action_view(CommentSerializer, actions.change_request_comment, "Add a comment")
