"""Licensed code systems in the editorial workflow: a person whose organisation does not hold a
system's licence neither reads nor works on its change requests and release change sets (their
diffs are the licensed text). Screens and API call `require_licence`; lists leave such rows out.
"""

from django.core.exceptions import PermissionDenied

from accounts.licensing import licensed_systems
from editorial.models import ChangeRequestEntry, ReleaseEntry
from editorial.systems import SYSTEMS


def unlicensed_systems(request) -> list[str]:
    """Licensed systems the asker's organisation holds no licence for."""
    held = licensed_systems(request)
    return sorted(name for name, system in SYSTEMS.items() if system.licensed and name not in held)


def _system_of(kwargs) -> str | None:
    if "system" in kwargs:
        return kwargs["system"]
    if "change_id" in kwargs:
        rows = ChangeRequestEntry.objects.filter(change_id=kwargs["change_id"])
        return rows.values_list("system", flat=True).first()
    if "release_id" in kwargs:
        rows = ReleaseEntry.objects.filter(release_id=kwargs["release_id"])
        return rows.values_list("system", flat=True).first()
    return None


def require_licence(request, kwargs: dict, *, system: str | None = None) -> None:
    """Refuse (403) work on a code, change request or release of a licensed system the asker's
    organisation holds no licence for; `kwargs` are the URL's (system, change_id, release_id)."""
    system = system or _system_of(kwargs)
    if system in unlicensed_systems(request):
        label = SYSTEMS[system].label
        raise PermissionDenied(
            f"{label} content is licensed: working on it needs your organisation's {label} licence"
        )
