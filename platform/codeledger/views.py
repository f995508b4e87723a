from django.db.models import Count
from django.http import HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from codeledger.problems import problem_response
from codes.models import CodeEntry
from codes.systems import SYSTEMS
from codesets.sources import SOURCES


def loaded_code_systems() -> list[dict]:
    """The code systems this instance holds, with how many of their codes are in force today
    (the codes read model), in SYSTEMS order."""
    counts = dict(
        CodeEntry.objects.filter(in_force=True)
        .values_list("system")
        .annotate(codes=Count("pk"))
        .values_list("system", "codes")
    )
    return [
        {"name": name, "label": system.label, "codes": counts[name], "licensed": system.licensed}
        for name, system in SYSTEMS.items()
        if counts.get(name)
    ]


def addable_code_systems(loaded: set[str]) -> list[dict]:
    """The systems not loaded yet: each with the packaged sources that would load it (`manage.py
    codes_import <source>`), or none (its releases are imported from the owner's files)."""
    return [
        {
            "name": name,
            "label": system.label,
            "licensed": system.licensed,
            "sources": [source for source in SOURCES.values() if source.system == name],
        }
        for name, system in SYSTEMS.items()
        if name not in loaded and name != "custom"
    ]


class HomeView(TemplateView):
    """The front door: search, and what this instance holds (it says so instead of advertising
    systems `make run` does not load)."""

    template_name = "codeledger/home.html"

    def get_context_data(self, **kwargs):
        loaded = loaded_code_systems()
        addable = addable_code_systems({system["name"] for system in loaded})
        return super().get_context_data(loaded=loaded, addable=addable, **kwargs)


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Every path under /api/ that no route takes, whatever the method: a 404 problem, as every
    other API error (Django would answer with its HTML page, in DEBUG listing every route).
    A path that exists with a trailing slash is redirected to it, as APPEND_SLASH would."""
    if request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                f"{request.path}/" + (f"?{query}" if query else "")
            )
    return problem_response(404, f"no API route {request.path} (see /api/docs/)")
