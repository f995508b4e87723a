"""Who may read licensed content: members and API keys of an organisation holding the licence.

A licence names a code system ("cpt"). Callers ask `licensed_systems(request)` once per request
and withhold the restricted fields of every other licensed system (editorial.content.redact).
"""

from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from accounts.models import Licence, Membership

_CACHE_ATTR = "_codeledger_licensed_systems"
_KEY_ATTR = "_codeledger_api_key"


def request_api_key(request) -> APIKey | None:
    """The valid API key the request presents (`Authorization: Api-Key <key>`), with its
    organisation link, or None: looked up once per request and in one query (the permission,
    the licence check and the throttle all ask)."""
    http = getattr(request, "_request", request)  # the same answer for DRF's Request
    if _KEY_ATTR not in http.__dict__:
        http.__dict__[_KEY_ATTR] = _valid_api_key(http)
    return http.__dict__[_KEY_ATTR]


def _valid_api_key(request) -> APIKey | None:
    """What djangorestframework-api-key's HasAPIKey checks (not revoked, the secret matches
    the stored hash, not expired), with the organisation link read in the same query."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Api-Key "):
        return None
    key = header.removeprefix("Api-Key ")  # as HasAPIKey reads it: no other spacing
    found = (
        APIKey.objects.get_usable_keys()
        .select_related("organisation_link")
        .filter(prefix=key.partition(".")[0])
        .first()
    )
    if found is None or not found.is_valid(key) or found.has_expired:
        return None
    return found


def _api_key_organisation(request):
    key = request_api_key(request)
    link = getattr(key, "organisation_link", None) if key else None
    return link.organisation_id if link else None


def _user_organisation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True).first()
    )


def licensed_systems(request) -> frozenset[str]:
    """The licensed code systems this request may read in full (an API key counts for its
    organisation, a person for theirs)."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    organisation = _api_key_organisation(request) or _user_organisation(request)
    held = frozenset()
    if organisation:
        today = timezone.localdate()
        held = frozenset(
            Licence.objects.filter(organisation_id=organisation)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .values_list("system", flat=True)
        )
    setattr(request, _CACHE_ATTR, held)
    return held
