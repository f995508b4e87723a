"""What every REST API view shares: who may call it, and input that refuses unknown fields.

Errors become problem details in codeledger.problems.
"""

import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied
from rest_framework.pagination import CursorPagination

from accounts.licensing import licensed_systems, request_api_key, require_licence
from codeledger.domain import PROPOSERS, STAFF, actor_for
from codes.redaction import METERED_FIELDS, withheld_fields
from codes.systems import SYSTEMS

# The path of every URL about one code: /codes/{system}/{code}.
CODE_PARAMS = [
    OpenApiParameter("system", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(SYSTEMS)),
    OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH),
]


class SystemField(serializers.ChoiceField):
    """A code system's name: a packaged system or one an imported file defined. The name is
    looked up when a value is validated, not fixed when the module loads, so a system a file
    defines while the server runs is accepted at once (its choices, for the schema, are those
    known when the serializer class was made)."""

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(SYSTEMS), **kwargs)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, str) and data in SYSTEMS:
            return data
        self.fail("invalid_choice", input=data)


def uses_api_key(request) -> bool:
    return bool(request.META.get("HTTP_AUTHORIZATION", "").startswith("Api-Key "))


def withheld_for(request, system: str | None = None) -> frozenset[str]:
    """The content fields of a code in `system` this caller may not read outside the code
    pages (the code API, search highlights): licensed text their organisation holds no licence
    for; and the metered sections, unless they present a valid API key (metered by its own
    rate limits) or hold an editorial role. Everyone else reads those on the code pages, within
    their allowance (docs/accounts.md). Without a system: the fields withheld in every system."""
    withheld = withheld_fields(system, licensed_systems(request)) if system else frozenset()
    staff = bool(actor_for(request.user).roles & STAFF)
    if request_api_key(request) is None and not staff:
        withheld |= METERED_FIELDS
    return withheld


class ReadAccess(permissions.BasePermission):
    """Anyone may read codes; a request that presents an API key must present a valid one."""

    public = True  # the schema says so (codeledger.openapi)

    def has_permission(self, request, view):
        if uses_api_key(request) and request_api_key(request) is None:
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
        if uses_api_key(request):
            raise PermissionDenied("API keys are read-only: they can search and read codes")
        if not request.user or not request.user.is_authenticated:
            return False
        actor = actor_for(request.user)
        if not actor.roles & STAFF:
            raise PermissionDenied("this needs an editorial role (editor, reviewer, auditor)")
        if request.method not in permissions.SAFE_METHODS and not actor.roles & PROPOSERS:
            # Refused before the input is read: an auditor's write is a 403, never a 400.
            raise PermissionDenied("auditors read everything and change nothing")
        try:
            require_licence(request, view.kwargs)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return True


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is a 400 and not a silent no-op."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


# Positions are PostgreSQL bigints: a cursor's position is 1 to 19 ASCII digits, at most this.
MAX_POSITION = 2**63 - 1
_POSITION = re.compile(r"[0-9]{1,19}")  # ASCII: isdigit() takes "²" and Arabic digits


def is_position(text: str) -> bool:
    """`text` is a position as the database holds them (a whole number, 0 to MAX_POSITION)."""
    return bool(_POSITION.fullmatch(text)) and int(text) <= MAX_POSITION


class CursorPages(CursorPagination):
    """Cursor pages whose cursor is checked where it enters: a damaged or forged cursor is a 400
    naming `cursor` (DRF answers 404, or a 500 when the position is not a number the database
    takes). `ordering` is a position (an integer column) unless `text_ordering` is set."""

    text_ordering = False
    refused = "this cursor is not one the API handed out; start again from the first page"

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise serializers.ValidationError({"cursor": [self.refused]}) from None
        if cursor is None or cursor.position is None:
            return cursor
        if self.text_ordering:
            # PostgreSQL refuses text holding NUL: a 500 if it reached the query.
            valid = "\x00" not in cursor.position and len(cursor.position) <= 300
        else:
            valid = is_position(cursor.position)
        if not valid:
            raise serializers.ValidationError({"cursor": [self.refused]})
        return cursor
