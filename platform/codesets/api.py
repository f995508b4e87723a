"""REST API of release change sets: list them, read their items, approve or reject items."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.licensing import unlicensed_systems
from codeledger.api import CursorPages, PeopleOnly, StrictSerializer
from codeledger.domain import actor_for
from codes.content import FIELDS
from codes.systems import SYSTEMS
from codesets import actions, domain, selectors, tasks


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
    effective_from = serializers.DateField(
        allow_null=True,
        help_text="the day the item is in force from when the code-set file gave the code its "
        "own; null: the release's",
    )
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
    kind = serializers.ChoiceField(choices=list(domain.ITEM_KINDS), required=False)
    status = serializers.ChoiceField(choices=["pending", "applied", "rejected"], required=False)
    field = serializers.ChoiceField(choices=list(FIELDS), required=False)
    code = serializers.CharField(required=False, max_length=20, help_text="a code prefix")
    conflicted = serializers.BooleanField(required=False, allow_null=True, default=None)
    cursor = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=500)


class ReleasePagination(CursorPages):
    ordering = "-proposed_position"
    page_size = 20
    page_size_query_param = "size"
    max_page_size = 200


class ReleaseItemPagination(CursorPages):
    ordering = "code"  # unique within a release
    text_ordering = True
    page_size = 50
    page_size_query_param = "size"
    max_page_size = 500


class ReleaseApproveSerializer(StrictSerializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        min_length=1,
        max_length=tasks.RELEASE_SYNC_LIMIT,
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
    pagination_class = ReleasePagination  # the schema shows its pages

    @extend_schema(
        summary="Release change sets (new editions of code sets to review), newest first",
        parameters=[ReleaseFilters],
        responses=ReleaseSerializer(many=True),
    )
    def get(self, request):
        filters = ReleaseFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
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
    pagination_class = ReleaseItemPagination  # the schema shows its pages

    @extend_schema(
        summary="The items of a release, by code, with their field changes (filters, cursor)",
        parameters=[*RELEASE_PARAM, ReleaseItemFilters],
        responses=ReleaseItemSerializer(many=True),
    )
    def get(self, request, release_id):
        filters = ReleaseItemFilters(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        query = {k: v for k, v in filters.validated_data.items() if k not in ("cursor", "size")}
        paginator = self.pagination_class()
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
        actor = actor_for(request.user)
        codes = body.validated_data.get("codes")
        note = body.validated_data["note"]
        if codes is None:
            decision = tasks.release_approve_all(actor=actor, release_id=release_id, note=note)
        else:
            decision = actions.release_approve(
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
        decision = actions.release_reject(
            actor=actor_for(request.user), release_id=release_id, **body.validated_data
        )
        return _decision(decision, release_id)
