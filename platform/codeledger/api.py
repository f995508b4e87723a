"""What every REST API view shares: who may call it, and input that refuses unknown fields.

Errors become problem details in codeledger.problems.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from accounts.licensing import request_api_key, require_licence
from codeledger.domain import PROPOSERS, STAFF, actor_for
from codes.systems import SYSTEMS

# The path of every URL about one code: /codes/{system}/{code}.
CODE_PARAMS = [
    OpenApiParameter("system", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(SYSTEMS)),
    OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH),
]


def uses_api_key(request) -> bool:
    return bool(request.META.get("HTTP_AUTHORIZATION", "").startswith("Api-Key "))


class ReadAccess(permissions.BasePermission):
    """Anyone may read codes; a request that presents an API key must present a valid one."""

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
