"""The /check screen: paste codes, pick the system and the date of service, read the findings.

A GET form: a check writes nothing, and its URL can be bookmarked or sent to a colleague. It
works without JavaScript (the whole page); with htmx the form swaps only the results. Anyone may
check, within the API's throttle (counted together with it); note texts are quoted as on the
API (checks.api): to editorial staff and licence holders, others read them on the code pages.
"""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from checks.api import CheckThrottle
from checks.engine import BLOCKING, check_codes
from checks.forms import CheckForm
from codeledger.api import withheld_for
from codeledger.screens import fragment

KIND_LABELS = {
    "unknown": "Unknown code",
    "not_in_force": "Not valid on the date",
    "header": "Header, not billable",
    "seventh_character": "7th character missing",
    "excludes1": "Excludes1",
    "excludes2": "Excludes2",
    "code_first": "Code first",
    "use_additional": "Use additional code",
}


def _rows(result, system: str) -> list[dict]:
    return [
        {
            "finding": finding,
            "label": KIND_LABELS[finding.kind],
            "blocking": finding.kind in BLOCKING,
            "system": system,
        }
        for finding in result.findings
    ]


@require_GET
def check_page(request):
    submitted = "codes" in request.GET
    form = CheckForm(request.GET if submitted else None)
    context, status = {"form": form, "submitted": submitted}, 200
    if submitted:
        throttle = CheckThrottle()
        if not throttle.allow_request(request, None):
            wait = throttle.wait()
            context["error"] = f"Too many checks from here in a short time; try again in {wait} s."
            status = 429
        elif form.is_valid():
            system = form.cleaned_data["system"]
            withheld = withheld_for(request, system)
            result = check_codes(
                system,
                form.cleaned_data["codes"],
                form.cleaned_data["date_of_service"],
                withheld=withheld,
            )
            context.update(
                result=result,
                rows=_rows(result, system),
                system=system,
                codes=form.cleaned_data["codes"],
                notes_withheld="notes" in withheld,
            )
        else:
            status = 400
    partial = fragment(request)
    template = "checks/check.html#results" if partial else "checks/check.html"
    # htmx 2 swaps only 2xx answers: a fragment carries its message with 200, the whole page
    # (no JavaScript) keeps the status that says what happened.
    response = render(request, template, context, status=200 if partial else status)
    patch_vary_headers(response, ["HX-Request"])  # one URL, a page or a fragment
    for header, value in getattr(request, "rate_limit", {}).items():
        response[header] = value
    if status == 429:
        response["Retry-After"] = str(wait)
    return response
