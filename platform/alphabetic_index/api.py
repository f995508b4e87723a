"""REST API of the Alphabetic Index: look terms up (anyone), index releases (anyone reads; a
reviewer or admin approves or rejects a proposed one)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alphabetic_index import actions, selectors
from alphabetic_index.resolution import STATED_FIELDS
from codeledger.api import CursorPages, PeopleOnly, ReadAccess, StrictSerializer
from codeledger.domain import actor_for

CODE_STATUSES = (
    "billable; incomplete (ends in '-' or needs a 7th character: the tabular list completes "
    "it); header (not billable: reported, not attached); stale (not in the tabular list in "
    "force: reported); or '' (no code)"
)


class ReferenceSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="as printed: a main term, then subterms after commas")
    target = serializers.CharField(
        allow_null=True, help_text="the path of the term it names, when found in this index"
    )
    target_n = serializers.IntegerField(allow_null=True)


class IndexEntrySerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="the entry's place in document order")
    path = serializers.CharField(help_text='main term and subterms: "Pneumonia, aspiration"')
    title = serializers.CharField()
    level = serializers.IntegerField(help_text="0 for a main term")
    letter = serializers.CharField()
    modifiers = serializers.CharField(help_text="non-essential modifiers, in parentheses")
    code = serializers.CharField(help_text="the code the index prints for it ('' if none)")
    manifestation = serializers.CharField()
    see = ReferenceSerializer(allow_null=True)
    see_also = ReferenceSerializer(allow_null=True)
    resolved_code = serializers.CharField(
        help_text="the code it leads to: its own, or through its references"
    )
    resolved_via = serializers.CharField(help_text="code, see, see_also, or '' (none)")
    code_status = serializers.CharField(help_text=CODE_STATUSES)
    code_page = serializers.CharField(
        allow_null=True, help_text="the code page it leads to (billable or incomplete codes)"
    )
    subterms = serializers.IntegerField()
    href = serializers.CharField(help_text="the entry on the index screen")


def _reference(entry, field: str, targets: dict) -> dict | None:
    text = getattr(entry, field)
    if not text:
        return None
    target = targets.get(getattr(entry, f"{field}_target"))
    return {
        "text": text,
        "target": target.path if target else None,
        "target_n": target.n if target else None,
    }


def entry_data(entry, targets: dict, system: str) -> dict:
    return {
        "n": entry.n,
        "path": entry.path,
        "title": entry.title,
        "level": entry.level,
        "letter": entry.letter,
        "modifiers": entry.modifiers,
        "code": entry.code,
        "manifestation": entry.manifestation,
        "see": _reference(entry, "see", targets),
        "see_also": _reference(entry, "see_also", targets),
        "resolved_code": entry.resolved_code,
        "resolved_via": entry.resolved_via,
        "code_status": entry.code_status,
        "code_page": (
            reverse("reference:code", args=[system, entry.attached_code])
            if entry.attached_code
            else None
        ),
        "subterms": entry.subterms,
        "href": reverse("alphabetic_index:term", args=[entry.n]),
    }


class IndexSearchParams(StrictSerializer):
    term = serializers.CharField(max_length=200, help_text="words of the term, e.g. pneumonia")
    size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=25)
    release = serializers.UUIDField(
        required=False, help_text="an index release (default: the one in force)"
    )


class IndexReleaseSerializer(serializers.Serializer):
    release_id = serializers.UUIDField()
    system = serializers.CharField()
    release = serializers.CharField()
    source = serializers.CharField()
    status = serializers.CharField(help_text="in_force, proposed, superseded or rejected")
    proposer = serializers.CharField()
    effective_from = serializers.DateField(allow_null=True)
    counts = serializers.DictField(help_text="entries, main terms, references, code checks")
    changes = serializers.DictField(
        allow_null=True,
        help_text="against base_release_id: added, removed, changed entries, codes changed",
    )
    base_release_id = serializers.UUIDField(allow_null=True)
    superseded_by = serializers.UUIDField(allow_null=True)
    decided_by = serializers.CharField()
    reason = serializers.CharField(help_text="the approval's note or the rejection's reason")
    imported_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    position = serializers.IntegerField()


class IndexSearchView(APIView):
    permission_classes = [ReadAccess]
    problem_statuses = (404,)  # no index imported yet, or no such release

    @extend_schema(
        summary="Look a term up in the ICD-10-CM Alphabetic Index: main terms and subterms "
        "with their codes and resolved references",
        parameters=[
            OpenApiParameter("term", OpenApiTypes.STR, required=True),
            OpenApiParameter("size", OpenApiTypes.INT, description="1 to 100 (default 25)"),
            OpenApiParameter("release", OpenApiTypes.UUID),
        ],
        responses=inline_serializer(
            "IndexSearch",
            {
                "term": serializers.CharField(),
                "release": IndexReleaseSerializer(),
                "results": IndexEntrySerializer(many=True),
            },
        ),
    )
    def get(self, request):
        params = IndexSearchParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        release = selectors.index_release(release_id=data.get("release"))
        found = selectors.index_search(release=release, term=data["term"], limit=data["size"])
        targets = selectors.index_targets(release=release, entries=found)
        return Response(
            {
                "term": data["term"],
                "release": IndexReleaseSerializer(release).data,
                "results": [entry_data(entry, targets, release.system) for entry in found],
            }
        )


class IndexReleasePagination(CursorPages):
    ordering = "-imported_position"
    page_size = 20
    page_size_query_param = "size"
    max_page_size = 100


class ReleaseListParams(StrictSerializer):
    cursor = serializers.CharField(required=False)
    size = serializers.IntegerField(required=False, min_value=1, max_value=100)


RELEASE_PARAM = [OpenApiParameter("index_release_id", OpenApiTypes.UUID, OpenApiParameter.PATH)]


class IndexReleaseListView(APIView):
    permission_classes = [ReadAccess]
    pagination_class = IndexReleasePagination  # the schema shows its pages

    @extend_schema(
        summary="Releases of the Alphabetic Index, newest first: in force, proposed for "
        "review, superseded, rejected",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("size", OpenApiTypes.INT),
        ],
        responses=IndexReleaseSerializer(many=True),
    )
    def get(self, request):
        ReleaseListParams(data=request.query_params.dict()).is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.index_releases(), request, view=self)
        return paginator.get_paginated_response(IndexReleaseSerializer(page, many=True).data)


class IndexReleaseDetailView(APIView):
    permission_classes = [ReadAccess]

    @extend_schema(
        summary="One index release: status, counts and changes against the release in force",
        parameters=RELEASE_PARAM,
        responses=IndexReleaseSerializer,
    )
    def get(self, request, index_release_id):
        release = selectors.index_release(release_id=index_release_id)
        return Response(IndexReleaseSerializer(release).data)


class ChangeParams(StrictSerializer):
    kind = serializers.ChoiceField(choices=["added", "removed", "changed"], required=False)
    offset = serializers.IntegerField(required=False, min_value=0, default=0)
    size = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)


class IndexReleaseChangesView(APIView):
    permission_classes = [ReadAccess]

    @extend_schema(
        summary="What a proposed index release adds, removes and changes, entry by path",
        parameters=[
            *RELEASE_PARAM,
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["added", "removed", "changed"]),
            OpenApiParameter("offset", OpenApiTypes.INT),
            OpenApiParameter("size", OpenApiTypes.INT, description="1 to 1000 (default 100)"),
        ],
        responses=inline_serializer(
            "IndexReleaseChanges",
            {
                "count": serializers.IntegerField(),
                "fields": serializers.ListField(child=serializers.CharField()),
                "changes": serializers.ListField(
                    child=serializers.DictField(),
                    help_text='{"path", "kind", "changes": {field: {"from", "to"}} or the '
                    "entry's fields}",
                ),
            },
        ),
    )
    def get(self, request, index_release_id):
        params = ChangeParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        data = params.validated_data
        changes = selectors.index_release_changes(
            release_id=index_release_id, kind=data.get("kind")
        )
        start = data["offset"]
        return Response(
            {
                "count": len(changes),
                "fields": list(STATED_FIELDS),
                "changes": changes[start : start + data["size"]],
            }
        )


class ApproveParams(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class RejectParams(StrictSerializer):
    reason = serializers.CharField(allow_blank=True, max_length=5000)


DECISION = inline_serializer(
    "IndexReleaseDecision",
    {
        "release_id": serializers.UUIDField(),
        "status": serializers.CharField(),
        "replaced": serializers.UUIDField(allow_null=True),
        "position": serializers.IntegerField(help_text="event position of this decision"),
    },
)


def _decision(result) -> dict:
    return {
        "release_id": result.release_id,
        "status": result.status,
        "replaced": result.replaced,
        "position": result.position,
    }


class IndexReleaseApproveView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Approve a proposed index release: it comes into force and supersedes the "
        "release it was compared with (reviewers and admins, not its importer)",
        parameters=RELEASE_PARAM,
        request=ApproveParams,
        responses=DECISION,
    )
    def post(self, request, index_release_id):
        params = ApproveParams(data=request.data)
        params.is_valid(raise_exception=True)
        result = actions.index_release_approve(
            actor=actor_for(request.user),
            release_id=index_release_id,
            note=params.validated_data["note"],
        )
        return Response(_decision(result))


class IndexReleaseRejectView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        summary="Reject a proposed index release, with a reason",
        parameters=RELEASE_PARAM,
        request=RejectParams,
        responses=DECISION,
    )
    def post(self, request, index_release_id):
        params = RejectParams(data=request.data)
        params.is_valid(raise_exception=True)
        result = actions.index_release_reject(
            actor=actor_for(request.user),
            release_id=index_release_id,
            reason=params.validated_data["reason"],
        )
        return Response(_decision(result))
