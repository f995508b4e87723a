"""REST API of the reference: look a code up (today, or on a date as known at a time), its
history and the differences between two versions. Anyone may read; licensed and metered fields
are withheld from callers who may not read them (codes.redaction)."""

from functools import partial

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from codeledger.api import CODE_PARAMS, ReadAccess, StrictSerializer, withheld_for
from codes.content import NOTE_KINDS
from codes.diff import content_diff
from codes.redaction import attribution, redact, redact_changes
from codes.selectors import applicable_notes, code_as_of, code_at_version, code_current
from codes.systems import SYSTEMS
from knowledge.explain import explain, explain_cached
from review.selectors import code_history


class ApplicableNoteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NOTE_KINDS)
    text = serializers.CharField()
    # "from" is a Python keyword: the field is declared under another name and renamed below.
    from_ = serializers.CharField(
        help_text='where the note is written: a code ("S72"), a block ("S70-S79") or a chapter '
        '("Chapter 19")'
    )
    level = serializers.ChoiceField(
        choices=["code", "block", "chapter"], help_text="what `from` names"
    )
    codes = serializers.ListField(
        child=serializers.CharField(),
        help_text='the codes, ranges and families the text names, as written ("J60-J70", "F17.-")',
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        fields["level"] = fields.pop("level")  # kept after "from"
        fields["codes"] = fields.pop("codes")
        return fields


class ExplanationSerializer(serializers.Serializer):
    text = serializers.CharField()
    generated = serializers.BooleanField(help_text="always true: composed, not written")
    attribution = serializers.CharField()


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
    applicable_notes = ApplicableNoteSerializer(
        many=True,
        help_text="every instructional note that applies to the code: its own, those of its "
        "parent codes up to the category, then its block's and its chapter's; kinds in the order "
        "of `content.notes`, within a kind the nearest first. Empty whenever `notes` is withheld",
    )
    explanation = ExplanationSerializer(
        allow_null=True,
        help_text="a plain-language explanation generated from the code's official text only "
        "(descriptor, hierarchy, notes that apply, index entries, variants, 7th characters) with "
        "reviewed glossary words; the same version always gives the same text. A reviewed "
        "common-language description, where one exists, stays in `content`. Null wherever "
        "`common_description` is withheld",
    )
    withheld = serializers.ListField(
        child=serializers.CharField(),
        help_text="fields emptied in `content`: licensed text this caller's organisation holds "
        "no licence for, and the metered sections (common-language description, notes, related "
        "codes, lay terms) unless the caller presents an API key or is editorial staff",
    )


def _licensing(request, system: str, content: dict, notes, explanation) -> dict:
    """The caller's view of `content`: withheld fields emptied, every field's source, the
    notes that apply (`notes()`), withheld with the code's own, and the generated explanation
    (`explanation()`), withheld with the common-language description."""
    withheld = withheld_for(request, system)
    explained = None if "common_description" in withheld else explanation()
    return {
        "content": redact(content, withheld),
        "attribution": attribution(system, content),
        "applicable_notes": [] if "notes" in withheld else notes(),
        "explanation": explained
        and {k: explained[k] for k in ("text", "generated", "attribution")},
        "withheld": sorted(withheld),
    }


def _code_data(entry, request) -> dict:
    notes = partial(applicable_notes, system=entry.system, code=entry.code)
    explanation = partial(explain_cached, entry.system, entry.code)
    return {
        "system": entry.system,
        "code": entry.code,
        "version": entry.version,
        "in_force_version": entry.in_force_version,
        **_licensing(request, entry.system, entry.content, notes, explanation),
        "needs_review": entry.needs_review,
        "scheduled": entry.scheduled,
        "registered_at": entry.registered_at,
        "updated_at": entry.updated_at,
        "position": entry.position,
    }


def _view_data(view, request, as_of=None, known_at=None) -> dict:
    state = view.state
    notes = partial(
        applicable_notes, system=state.system, code=state.code, as_of=as_of, known_at=known_at
    )
    explanation = partial(explain, state.system, state.code, as_of=as_of, known_at=known_at)
    return {
        "system": state.system,
        "code": state.code,
        "version": state.version,
        "in_force_version": state.version,
        **_licensing(request, state.system, state.content, notes, explanation),
        "needs_review": state.needs_review,
        "scheduled": view.scheduled,
        "registered_at": view.registered_at,
        "updated_at": view.updated_at,
        "position": view.position,
    }


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
            view = code_as_of(system=system, code=code, **params.validated_data)
            data = _view_data(view, request, **params.validated_data)
            return Response(CodeSerializer(data).data)
        entry = code_current(system=system, code=code)
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
        versions = code_history(system=system, code=code)
        if withheld := withheld_for(request, system):
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
        old = code_at_version(system=system, code=code, version=params.validated_data["from_"])
        new = code_at_version(system=system, code=code, version=params.validated_data["to"])
        withheld = withheld_for(request, system)
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
