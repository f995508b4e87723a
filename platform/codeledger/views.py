from django.http import HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from codeledger.problems import problem_response


class HomeView(TemplateView):
    template_name = "codeledger/home.html"


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
