"""Screens of the review workflow: the proposal forms, my requests, the queue, one request.

A domain error writes nothing and is shown next to the field or action it concerns; what a
person may do on a request is asked of the domain (review.domain.allowed_actions).
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    reswap,
    retarget,
    trigger_client_event,
)

from accounts.licensing import require_licence, unlicensed_systems
from codeledger.domain import (
    DECIDERS,
    PROPOSERS,
    STAFF,
    Invalid,
    InvalidState,
    NotFound,
    StaleBase,
    actor_for,
)
from codeledger.screens import (
    domain_errors,
    fragment,
    not_found,
    require_roles,
    screen,
)
from codes.content import FIELDS, empty_content
from codes.diff import content_diff, field_diff
from codes.selectors import code_at_version, load_code
from codes.systems import SYSTEMS, get_system
from events.store import ConcurrencyError
from review import actions, domain, selectors
from review.forms import (
    ApproveForm,
    CommentForm,
    NewCodeForm,
    NotificationPreferenceForm,
    ProposalForm,
    QueueFilterForm,
    RejectForm,
    RequestChangesForm,
    ReviseForm,
    preview_values,
)
from review.models import NotificationPreference
from review.templatetags.review_tags import confirm_question

# Three decision forms share a page: each gets its own element ids.
AUTO_IDS = {"approve_form": "approve_%s", "reject_form": "reject_%s", "changes_form": "changes_%s"}


# --- proposals ----------------------------------------------------------------------------


def _latest(system: str, code: str):
    """The code's latest state, scheduled changes included: what a proposal is written against."""
    try:
        state = load_code(system, get_system(system).display(code))
    except ValidationError:
        return None
    return state if state.exists else None


def _preview(current: dict, values: dict) -> list[dict]:
    return [field_diff(name, current.get(name), value) for name, value in values.items()]


@screen
@require_http_methods(["GET", "POST"])
def propose(request, system, code):
    """The proposal form: current values prefilled, a live diff, rationale required."""
    actor = require_roles(request, PROPOSERS, "Proposing a change")
    current = _latest(system, code)
    if current is None:
        return not_found(request, f"No such code: {code} in {system}.")
    stale = None
    if request.method == "POST":
        form = ProposalForm(request.POST, system=current.system)
        if form.is_valid():
            try:
                written = actions.change_request_submit(
                    actor=actor,
                    system=current.system,
                    code=current.code,
                    base_version=form.cleaned_data["base_version"],
                    changes=form.changes(current.content),
                    rationale=form.cleaned_data["rationale"],
                    effective_from=form.cleaned_data["effective_from"],
                )
            except StaleBase as error:
                stale = _moved_since(current, form.cleaned_data["base_version"])
                form.add_error(None, error.message)
                data = request.POST.copy()
                data["base_version"] = current.version  # resubmitting is a conscious choice
                form = _with_errors(ProposalForm(data, system=current.system), form)
            except Invalid as error:
                domain_errors(form, error)
            else:
                messages.success(request, "Your proposal was sent for review.")
                return redirect("review:request", written.change_request.change_id)
    else:
        initial = ProposalForm.initial_for(current.content, current.version, current.system)
        # A start from the code page's generated explanation: the text to rewrite, proposed
        # only where no reviewed description exists (it never replaces one unasked).
        start = request.GET.get("common_description", "")[: FIELDS["common_description"].max_length]
        if start.strip() and not current.content.get("common_description"):
            initial["common_description"] = start
        form = ProposalForm(initial=initial, system=current.system)
    # A form shown again with its messages is a normal page (200); a stale base is a conflict.
    status = 409 if stale else 200
    values = (
        preview_values(request.POST, current.content, current.system)
        if request.method == "POST"
        else {}
    )
    return render(
        request,
        "review/propose.html",
        {
            "code": current,
            "form": form,
            "preview": _preview(current.content, values),
            "stale": stale,
            "preview_url": reverse("review:propose-preview", args=[system, current.code]),
        },
        status=status,
    )


def _with_errors(new_form, old_form):
    new_form.is_valid()
    for field, errors in old_form.errors.items():
        for error in errors:
            new_form.add_error(None if field == "__all__" else field, error)
    return new_form


def _moved_since(current, base_version: int) -> dict:
    """What changed on the code since `base_version`, and who changed it."""
    try:
        base = code_at_version(system=current.system, code=current.code, version=base_version)
        base_content = base.content
    except NotFound:
        base_content = {}
    history = selectors.code_history(system=current.system, code=current.code)
    return {
        "base_version": base_version,
        "current_version": current.version,
        "fields": content_diff(base_content, current.content),
        "versions": [row for row in history if row["version"] > base_version],
    }


@screen
@require_POST
def propose_preview(request, system, code):
    """The word-level diff of each changed field, as typed so far (an htmx fragment)."""
    require_roles(request, PROPOSERS, "Proposing a change")
    current = _latest(system, code)
    if current is None:
        return not_found(request, f"No such code: {code} in {system}.")
    values = preview_values(request.POST, current.content, current.system)
    return render(
        request,
        "review/propose.html#preview",
        {"preview": _preview(current.content, values)},
    )


@screen
@require_http_methods(["GET", "POST"])
def propose_new(request):
    """A new code: its system, code and content, with the same live diff (against nothing)."""
    actor = require_roles(request, PROPOSERS, "Proposing a new code")
    system = request.POST.get("system", "") if request.method == "POST" else ""
    if request.method == "POST":
        form = NewCodeForm(request.POST, system=system)
        if form.is_valid():
            system, code = form.cleaned_data["system"], form.cleaned_data["code"]
            require_licence(request, {}, system=system)
            if _latest(system, code) is not None:
                form.add_error(
                    "code",
                    f"{code} already exists in {SYSTEMS[system].label}: "
                    "propose a change on its page instead.",
                )
            else:
                try:
                    written = actions.change_request_submit(
                        actor=actor,
                        system=system,
                        code=code,
                        base_version=0,
                        is_new=True,
                        changes=form.changes(empty_content()),
                        rationale=form.cleaned_data["rationale"],
                        effective_from=form.cleaned_data["effective_from"],
                    )
                except Invalid as error:
                    domain_errors(form, error)
                else:
                    messages.success(request, "Your new code was sent for review.")
                    return redirect("review:request", written.change_request.change_id)
    else:
        form = NewCodeForm(initial={"base_version": 0, "status": "active"})
    values = preview_values(request.POST, empty_content(), system) if request.POST else {}
    return render(
        request,
        "review/propose_new.html",
        {
            "form": form,
            "preview": _preview(empty_content(), values),
            "preview_url": reverse("review:propose-new-preview"),
        },
    )


@screen
@require_POST
def propose_new_preview(request):
    """The new code's fields as typed so far (an htmx fragment)."""
    require_roles(request, PROPOSERS, "Proposing a new code")
    values = preview_values(request.POST, empty_content(), request.POST.get("system", ""))
    return render(
        request, "review/propose.html#preview", {"preview": _preview(empty_content(), values)}
    )


# --- requests: lists ----------------------------------------------------------------------


@screen
@require_GET
def my_requests(request):
    require_roles(request, PROPOSERS, "Proposing changes")
    rows = (
        selectors.change_requests(proposer=request.user.get_username())
        .exclude(system__in=unlicensed_systems(request))
        .order_by("-submitted_position")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "review/my_requests.html", {"page": page})


@screen
@require_GET
def queue(request):
    """Change requests, oldest first; by default the ones waiting for a decision."""
    require_roles(request, STAFF, "Reading change requests")
    form = QueueFilterForm(
        request.GET or None,
        systems=[(name, s.label) for name, s in SYSTEMS.items()],
        proposers=selectors.proposers(),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or "submitted"
    rows = selectors.change_requests(
        status=None if status == "all" else status,
        system=filters.get("system") or None,
        proposer=filters.get("proposer") or None,
    )
    rows = rows.exclude(system__in=unlicensed_systems(request))
    if filters.get("age"):
        rows = rows.filter(submitted_at__lte=timezone.now() - timedelta(days=int(filters["age"])))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "status": status,
        "total": page.paginator.count,
        "query": params.urlencode(),
    }
    template = "review/queue.html#results" if fragment(request) else "review/queue.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # one URL, a page or a fragment
    return response


# --- requests: one request ----------------------------------------------------------------


def _request_context(request, entry, **extra) -> dict:
    """What the request page shows; `entry` is the read model row or a just-written state."""
    actor = actor_for(request.user)
    allowed = domain.allowed_actions(actor, entry)
    try:
        base = (
            code_at_version(
                system=entry.system, code=entry.code, version=entry.base_version
            ).content
            if entry.base_version
            else {}
        )
    except NotFound:
        base = {}
    is_open = entry.status in domain.OPEN_STATUSES
    conflicted = extra.pop("conflicted", getattr(entry, "conflicted", False))
    thread = selectors.change_request_thread(change_id=entry.change_id)
    revisions = [item for item in thread if item["kind"] in ("proposed", "revised")]
    context = {
        "entry": entry,
        "thread": thread,
        "revised_after_changes": bool(revisions and revisions[-1]["after_changes_requested"]),
        "diffs": [field_diff(name, base.get(name), value) for name, value in entry.changes.items()],
        "is_open": is_open,
        "conflicted": conflicted,
        "can_withdraw": domain.WITHDRAW in allowed,
        "can_decide": domain.APPROVE in allowed,
        "four_eyes": domain.blocked_by_four_eyes(actor, entry),
        "can_comment": domain.COMMENT in allowed,
        **{
            name: form_class(initial={"expected_version": entry.version}, auto_id=AUTO_IDS[name])
            for name, form_class in (
                ("approve_form", ApproveForm),
                ("reject_form", RejectForm),
                ("changes_form", RequestChangesForm),
            )
        },
        "comment_form": CommentForm(),
        "moved": None,
        "conflict": None,
    }
    if conflicted and is_open:
        current = load_code(entry.system, entry.code)
        context["moved"] = _moved_since(current, entry.base_version)
        context["current_values"] = {name: current.content.get(name) for name in entry.changes}
    context.update(extra)
    return context


def _load_request(change_id):
    try:
        return selectors.change_request_detail(change_id=change_id)
    except NotFound:
        return None


@screen
@require_GET
def request_page(request, change_id):
    require_roles(request, STAFF, "Reading change requests")
    entry = _load_request(change_id)
    if entry is None:
        return not_found(request, "There is no change request with this id.")
    return render(request, "review/request.html", _request_context(request, entry))


DECISIONS = {
    "approve": (ApproveForm, actions.change_request_approve, "note", "approve_form", "approved"),
    "reject": (RejectForm, actions.change_request_reject, "reason", "reject_form", "rejected"),
    "request-changes": (
        RequestChangesForm,
        actions.change_request_request_changes,
        "message",
        "changes_form",
        "sent back to the proposer",
    ),
}


def _written_entry(written, entry):
    """The request as just written (read models may lag behind a real task queue)."""
    state = written.change_request
    entry.status, entry.reviewer, entry.decision = state.status, state.reviewer, state.decision
    entry.version, entry.conflicted = state.version, False
    entry.comments = [*entry.comments, *state.comments[len(entry.comments) :]]
    return entry


def _panel(request, entry, *, status=200, **extra):
    """The request's decision panel: a fragment for htmx, the whole page otherwise."""
    context = _request_context(request, entry, **extra)
    if fragment(request):
        # htmx swaps 2xx answers only: the panel says what happened, the status stays 200.
        return render(request, "review/request.html#panel", context)
    return render(request, "review/request.html", context, status=status)


@screen
@require_POST
def decide(request, change_id, action):
    """Approve, reject or send back: in place with htmx, post-redirect-get without."""
    actor = require_roles(request, DECIDERS, "Deciding on a change request")
    form_class, service, text_field, form_name, done = DECISIONS[action]
    entry = _load_request(change_id)
    if entry is None:
        return not_found(request, "There is no change request with this id.")
    form = form_class(request.POST, auto_id=AUTO_IDS[form_name])
    if not form.is_valid():
        return _panel(request, entry, **{form_name: form})
    try:
        written = service(
            actor=actor,
            change_id=change_id,
            expected_version=form.cleaned_data["expected_version"],
            **{text_field: form.cleaned_data[text_field]},
        )
    except Invalid as error:
        domain_errors(form, error)
        return _panel(request, entry, **{form_name: form})
    except StaleBase as error:
        # Nothing applied: show the current values and who changed them.
        return _panel(request, entry, status=409, conflicted=True, conflict=error.message)
    except (ConcurrencyError, InvalidState):
        before, entry = entry.status, _load_request(change_id)
        if entry.status == before == "submitted":
            conflict = (
                "The request changed while you had it open (a comment or a revision). "
                "Your decision was not applied: the page now shows the latest version; "
                "check it and decide again."
            )
        else:
            who = f" by {entry.reviewer}" if entry.reviewer else ""
            conflict = (
                f"Someone acted on this request first: it is now "
                f"{entry.status.replace('_', ' ')}{who}. Your decision was not applied."
            )
        return _panel(request, entry, status=409, conflict=conflict)
    if not fragment(request):
        messages.success(request, f"The request was {done}.")
        return redirect("review:request", change_id)
    entry = _written_entry(written, entry)
    response = _panel(request, entry, decided=done)
    return trigger_client_event(response, "requestDecided", {"status": entry.status})


@screen
@require_POST
def decide_confirm(request, change_id, action):
    """Without JavaScript, Approve and Reject post here first: a page that asks, writes
    nothing, and carries the decision to `decide` when the person says yes (with htmx, a
    dialog asks instead: hx-confirm)."""
    actor = require_roles(request, DECIDERS, "Deciding on a change request")
    form_class, _, text_field, form_name, _ = DECISIONS[action]
    entry = _load_request(change_id)
    if entry is None:
        return not_found(request, "There is no change request with this id.")
    if domain.blocked_by_four_eyes(actor, entry):
        raise PermissionDenied(
            "You proposed this change, so another reviewer must decide it (four-eyes rule)."
        )
    form = form_class(request.POST, auto_id=AUTO_IDS[form_name])
    if not form.is_valid():  # a missing reason is said before anything is asked
        return _panel(request, entry, **{form_name: form})
    if domain.APPROVE not in domain.allowed_actions(actor, entry):
        conflict = f"This request is {entry.status.replace('_', ' ')}: there is nothing to decide."
        return _panel(request, entry, status=409, conflict=conflict)
    return render(
        request,
        "review/confirm.html",
        {
            "entry": entry,
            "action": action,
            "question": confirm_question(action, entry),
            "decide_url": reverse(f"review:{action}", args=[change_id]),
            "fields": {
                "expected_version": form.cleaned_data["expected_version"],
                text_field: form.cleaned_data[text_field],
            },
            "text": form.cleaned_data[text_field],
            "text_label": form.fields[text_field].label,
            "yes": action.capitalize(),
        },
    )


@screen
@require_POST
def comment(request, change_id):
    """A comment appends to the thread (htmx) or reloads the page (plain post)."""
    actor = require_roles(request, PROPOSERS, "Commenting")
    entry = _load_request(change_id)
    if entry is None:
        return not_found(request, "There is no change request with this id.")
    form = CommentForm(request.POST)
    error_status = 200
    if form.is_valid():
        try:
            written = actions.change_request_comment(
                actor=actor, change_id=change_id, text=form.cleaned_data["text"]
            )
        except (Invalid, InvalidState) as error:
            domain_errors(form, error)
        except ConcurrencyError:
            form.add_error(None, "The request changed while you wrote; please send it again.")
            error_status = 409
        else:
            if not fragment(request):
                messages.success(request, "Your comment was added.")
                return redirect(reverse("review:request", args=[change_id]) + "#comments")
            state = written.change_request
            new = dict(state.comments[-1])
            new.setdefault("at", timezone.now().isoformat())
            # The comment moved the request's version: the forms on the page follow it.
            allowed = domain.allowed_actions(actor, state)
            return render(
                request,
                "review/request.html#comment-added",
                {
                    "comment": new,
                    "comment_form": CommentForm(),
                    "entry": entry,
                    "version": state.version,
                    "can_decide": domain.APPROVE in allowed,
                    "can_withdraw": domain.WITHDRAW in allowed,
                },
            )
    if fragment(request):
        response = render(
            request, "review/request.html#comment-form", {"comment_form": form, "entry": entry}
        )
        return reswap(retarget(response, "#comment-form"), "outerHTML")
    context = _request_context(request, entry, comment_form=form)
    return render(request, "review/request.html", context, status=error_status)


@screen
@require_POST
def withdraw(request, change_id):
    actor = require_roles(request, PROPOSERS, "Withdrawing a request")
    entry = _load_request(change_id)
    if entry is None:
        return not_found(request, "There is no change request with this id.")
    try:
        actions.change_request_withdraw(
            actor=actor, change_id=change_id, expected_version=int(request.POST.get("v") or 0)
        )
    except (ConcurrencyError, InvalidState):
        messages.error(request, "The request changed meanwhile and was not withdrawn.")
    else:
        messages.success(request, "The request was withdrawn.")
    if fragment(request):  # asked in a dialog (hx-confirm): the whole page changes
        return HttpResponseClientRedirect(reverse("review:request", args=[change_id]))
    return redirect("review:request", change_id)


@screen
@require_POST
def withdraw_confirm(request, change_id):
    """Without JavaScript, Withdraw posts here first: a page that asks and writes nothing."""
    actor = require_roles(request, PROPOSERS, "Withdrawing a request")
    entry = _load_request(change_id)
    if entry is None:
        return not_found(request, "There is no change request with this id.")
    if domain.WITHDRAW not in domain.allowed_actions(actor, entry):
        if entry.proposer != actor.username:
            raise PermissionDenied(
                f"Only the proposer ({entry.proposer}) can withdraw this request."
            )
        messages.error(request, f"A request that is {entry.status} cannot be withdrawn.")
        return redirect("review:request", change_id)
    return render(
        request,
        "review/confirm.html",
        {
            "entry": entry,
            "action": "withdraw",
            "question": confirm_question("withdraw", entry),
            "decide_url": reverse("review:withdraw", args=[change_id]),
            "fields": {"v": request.POST.get("v") or entry.version},
            "yes": "Withdraw",
        },
    )


@screen
@require_http_methods(["GET", "POST"])
def revise(request, change_id):
    """The proposer revises against the code's current version, seeing what changed meanwhile."""
    actor = require_roles(request, PROPOSERS, "Revising a request")
    entry = _load_request(change_id)
    if entry is None:
        return not_found(request, "There is no change request with this id.")
    if domain.REVISE not in domain.allowed_actions(actor, entry):
        # The domain refused; say why in the person's terms.
        if entry.proposer != actor.username:
            raise PermissionDenied(f"Only the proposer ({entry.proposer}) can revise this request.")
        messages.error(request, f"A request that is {entry.status} cannot be revised.")
        return redirect("review:request", change_id)
    current = load_code(entry.system, entry.code)
    moved = (
        _moved_since(current, entry.base_version) if current.version != entry.base_version else None
    )
    stale = False
    if request.method == "POST":
        form = ReviseForm(request.POST, system=current.system)
        if form.is_valid():
            try:
                actions.change_request_revise(
                    actor=actor,
                    change_id=change_id,
                    expected_version=form.cleaned_data["expected_version"],
                    base_version=form.cleaned_data["base_version"],
                    changes=form.changes(current.content),
                    rationale=form.cleaned_data["rationale"],
                    effective_from=form.cleaned_data["effective_from"],
                )
            except StaleBase as error:
                stale = True
                form.add_error(None, error.message + " The form now shows the current version.")
                data = request.POST.copy()
                data["base_version"] = current.version
                form = _with_errors(ReviseForm(data, system=current.system), form)
            except ConcurrencyError:
                form.add_error(None, "The request changed meanwhile; reload and try again.")
            except Invalid as error:
                domain_errors(form, error)
            else:
                messages.success(request, "Your revision was sent for review.")
                return redirect("review:request", change_id)
    else:
        values = {**current.content, **entry.changes}
        initial = ProposalForm.initial_for(values, current.version, current.system)
        initial.update(
            expected_version=entry.version,
            rationale=entry.rationale,
            effective_from=entry.effective_from,
        )
        form = ReviseForm(initial=initial, system=current.system)
    values = (
        preview_values(request.POST, current.content, current.system)
        if request.method == "POST"
        else {n: v for n, v in entry.changes.items() if current.content.get(n) != v}
    )
    return render(
        request,
        "review/revise.html",
        {
            "entry": entry,
            "code": current,
            "form": form,
            "moved": moved,
            "preview": _preview(current.content, values),
            "preview_url": reverse("review:propose-preview", args=[entry.system, entry.code]),
        },
        status=409 if stale else 200,
    )


# --- mails --------------------------------------------------------------------------------


@screen
@require_http_methods(["GET", "POST"])
def notifications(request):
    """Turn the review mails (review.notifications) on or off, for oneself only."""
    actor = require_roles(request, PROPOSERS, "Review mails")
    preference = NotificationPreference.objects.filter(
        user=request.user
    ).first() or NotificationPreference(user=request.user)
    decider = bool(actor.roles & DECIDERS)
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST, instance=preference, decider=decider)
        if form.is_valid():
            form.save()
            messages.success(request, "Your mail settings were saved.")
            return redirect("review:notifications")
    else:
        form = NotificationPreferenceForm(instance=preference, decider=decider)
    return render(
        request,
        "review/notifications.html",
        {"form": form, "address": request.user.email},
    )
