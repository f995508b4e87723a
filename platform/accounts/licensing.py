"""Who may read licensed content: members and API keys of an organisation holding the licence.

A licence names a code system ("cpt"). Callers ask `licensed_systems(request)` once per request
and withhold the restricted fields of every other licensed system (editorial.content.redact).
"""

from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from accounts.models import Licence, Membership, OrganisationApiKey

_CACHE_ATTR = "_codeledger_licensed_systems"


def _api_key_organisation(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Api-Key "):
        return None
    try:
        key = APIKey.objects.get_from_key(header.removeprefix("Api-Key ").strip())
    except APIKey.DoesNotExist:
        return None
    if key.has_expired or key.revoked:
        return None
    link = OrganisationApiKey.objects.filter(api_key=key).first()
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
