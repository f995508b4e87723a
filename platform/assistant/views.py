"""CasePilot's screen (`/assistant`) and the answer fragment its panel on every code page swaps
in. Free accounts ask; guests see "Register to view content"; nothing asked is stored."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_http_methods

from accounts.licensing import unlicensed_systems
from assistant.answers import MAX_QUESTION, ask, clean_question
from assistant.api import AssistantThrottle, withheld_for_asker
from codeledger.screens import fragment
from codes.systems import SYSTEMS

EXAMPLES = (
    "What is J45.909?",
    "Which code for pneumonia?",
    "Can E11.9 and E10.9 be coded together?",
    "Which 7th character for a subsequent encounter for S72.001?",
)


def _throttled(request) -> int | None:
    """Seconds to wait when this person has used up their questions (counted with the API)."""
    throttle = AssistantThrottle()
    return None if throttle.allow_request(request, None) else throttle.wait()


@require_http_methods(["GET", "HEAD", "POST"])
def assistant_page(request):
    """The question form and, once asked (a POST, or a follow-up link's `?q=`), the answer.
    An htmx request gets the answer fragment only (the code page's panel)."""
    data = request.POST if request.method == "POST" else request.GET
    context = {
        "question": (data.get("question") or data.get("q") or "")[: MAX_QUESTION + 1],
        "code": data.get("code") or "",
        "system": data.get("system") or "icd10cm",
        "systems": SYSTEMS,
        "examples": EXAMPLES,
        "max_question": MAX_QUESTION,
        "asked": request.method == "POST" or bool(data.get("q")),
        "here": request.get_full_path(),
    }
    status = 200
    if not request.user.is_authenticated:
        context["gated"] = True
        status = 403 if context["asked"] else 200
    elif context["asked"]:
        status = _answer(request, context)
    partial = fragment(request)
    template = "assistant/assistant.html" + ("#answer" if partial else "")
    # htmx 2 swaps only 2xx answers: a fragment carries its message (a bad question, too many
    # questions) with 200, or the panel would show nothing; the whole page keeps its status.
    response = render(request, template, context, status=200 if partial else status)
    patch_cache_control(response, private=True)
    patch_vary_headers(response, ["Cookie", "HX-Request"])
    return response


def _answer(request, context) -> int:
    """Put the answer (or what is wrong with the question) in `context`; the status to send."""
    try:
        question, system, code = clean_question(
            question=context["question"], system=context["system"], code=context["code"] or None
        )
    except ValidationError as error:
        context["errors"] = [m for messages in error.message_dict.values() for m in messages]
        return 400
    if (wait := _throttled(request)) is not None:
        context["errors"] = [f"Too many questions in a short time; try again in {wait} s."]
        return 429
    context["answer"] = ask(
        question=question,
        system=system,
        code=code,
        withheld=withheld_for_asker(request),
        hidden=unlicensed_systems(request),
    )
    return 200
