"""Screens of release change sets: the list, and one release's batch page with its decisions.

A release page lists the items (one code each, with its per-field diff) 50 at a time, filtered
by kind, field, status, code prefix and conflicts. Reviewers and admins approve every pending
item, or approve or reject the items they tick. Like the other screens, every action is a plain
form post that redirects; an htmx request gets fragments swapped in place (the decided rows, the
counts and the decision panel, out of band) and an `HX-Trigger: releaseDecided` event. A refused
or raced decision writes nothing and says why.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.licensing import unlicensed_systems
from codeledger.domain import (
    DECIDERS,
    STAFF,
    DomainError,
    Forbidden,
    Invalid,
    InvalidState,
    NotFound,
    actor_for,
)
from codeledger.screens import Roles, domain_errors, fragment, not_found, require_roles, screen
from codes.content import FIELDS
from codes.diff import field_diff
from codes.systems import SYSTEMS
from codesets import actions, domain, selectors, tasks
from events.store import ConcurrencyError

PAGE_SIZE = 50
TEMPLATE = "codesets/release.html"
ITEM_STATUSES = (("pending", "Pending"), ("applied", "Applied"), ("rejected", "Rejected"))


# --- forms --------------------------------------------------------------------------------


class ReleaseFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "All kinds"), *((k, k.capitalize()) for k in domain.ITEM_KINDS)],
    )
    field = forms.ChoiceField(
        label="Field changed",
        required=False,
        choices=[("", "Any field"), *((name, f.label) for name, f in FIELDS.items())],
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *ITEM_STATUSES]
    )
    code = forms.CharField(label="Code starts with", required=False, max_length=20)
    conflicted = forms.ChoiceField(
        label="Conflicts",
        required=False,
        choices=[("", "With or without"), ("yes", "Conflicted only"), ("no", "Not conflicted")],
    )


class CodesField(forms.Field):
    """The ticked items: every `codes` value of the post, in order, once each."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Select items first (the boxes in the first column)."}

    def to_python(self, value):
        return list(dict.fromkeys(v.strip() for v in value or [] if v and v.strip()))


class ItemsForm(forms.Form):
    """Approve or reject the ticked items; a rejection needs a reason."""

    codes = CodesField(label="Selected items")
    reason = forms.CharField(
        label="Reason for rejecting",
        required=False,
        max_length=5000,
        help_text="Needed to reject the selected items; it is recorded with them.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, action="approve", **kwargs):
        kwargs.setdefault("auto_id", "items_%s")
        super().__init__(*args, **kwargs)
        self.action = action

    def clean_codes(self):
        codes = self.cleaned_data["codes"]
        # One atomic append decides them all, so a refused decision leaves every item as it was.
        if len(codes) > actions.RELEASE_APPLY_CHUNK:
            raise ValidationError(
                f"Select at most {actions.RELEASE_APPLY_CHUNK} items at a time "
                f"({len(codes)} are selected), or approve all pending items."
            )
        return codes

    def clean(self):
        if self.action == "reject" and not (self.cleaned_data.get("reason") or "").strip():
            self.add_error("reason", "Give a reason for rejecting: it is recorded with the items.")
        return self.cleaned_data


class ApproveAllForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "all_%s")
        super().__init__(*args, **kwargs)


# --- reading ------------------------------------------------------------------------------


def _filters(data) -> tuple[ReleaseFilterForm, dict]:
    """The filter form and its valid, non-empty values (a bad value is dropped, not fatal)."""
    form = ReleaseFilterForm(data or None, auto_id="filter_%s")
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    return form, {name: value.strip() for name, value in cleaned.items() if value.strip()}


def _posted_view(request) -> tuple[ReleaseFilterForm, dict, str | None]:
    """The filters and page a decision was posted from (a hidden `query` field)."""
    data = QueryDict(request.POST.get("query", ""))
    form, filters = _filters(data)
    return form, filters, data.get("page")


def _items(release_id, filters: dict):
    conflicted = {"yes": True, "no": False}.get(filters.get("conflicted"))
    return selectors.release_items(
        release_id=release_id,
        kind=filters.get("kind"),
        status=filters.get("status"),
        field=filters.get("field"),
        code=filters.get("code"),
        conflicted=conflicted,
    )


def _entry(release_id):
    try:
        return selectors.release_detail(release_id=release_id)
    except NotFound:
        return None


def _item_diffs(item) -> list[dict]:
    """The item's changes in the order fields are defined, word-level for text fields."""
    known = [
        field_diff(name, item.changes[name].get("from"), item.changes[name].get("to"))
        for name in FIELDS
        if name in item.changes
    ]
    other = [
        {"field": name, "label": name, "from": change.get("from"), "to": change.get("to")}
        for name, change in item.changes.items()
        if name not in FIELDS
    ]
    return known + other


def _decorated(items, entry) -> list:
    """Rows as the page shows them: a DOM id, the diffs, a link to the code when it exists."""
    rows = []
    for item in items:
        item.dom_id = "item-" + item.code.replace(".", "-")
        item.diffs = _item_diffs(item)
        exists = item.kind != "added" or item.status == "applied"
        item.href = reverse("reference:code", args=[entry.system, item.code]) if exists else None
        rows.append(item)
    return rows


def _as_written(entry, items, state, *, decider: str, reason: str = ""):
    """The release and rows as the service just wrote them: the read models may lag behind a
    real task queue, and the page must show the decision that was made."""
    decisions = state.decisions
    entry.items, entry.pending = len(state.items), len(state.items) - len(decisions)
    entry.applied = sum(1 for outcome in decisions.values() if outcome == "applied")
    entry.rejected = len(decisions) - entry.applied
    entry.conflicted = sum(1 for code in state.conflicts if code not in decisions)
    for item in items:
        status = decisions.get(item.code, "pending")
        if status != item.status:
            item.status, item.decided_by = status, decider
            item.reason = reason if status == "rejected" else ""
        item.conflicts = state.conflicts.get(item.code, {}) if status == "pending" else {}


def _page_href(filters: dict, **extra) -> str:
    return "?" + urlencode({**filters, **extra})


def _context(request, entry, filter_form, filters, *, page_number=None, **extra) -> dict:
    roles = Roles(request.user)
    may_decide = domain.may_decide(roles.actor, entry.proposer)
    page = Paginator(_items(entry.release_id, filters), PAGE_SIZE).get_page(page_number)
    first = extra.pop("first", None) or page.start_index()
    counts = entry.counts or {}
    kinds = [
        {"name": kind, "count": count}
        for kind, count in (counts.get("kinds") or {}).items()
        if count
    ]
    revised_fields = [
        {"name": name, "label": FIELDS[name].label if name in FIELDS else name, "count": count}
        for name, count in (counts.get("revised_fields") or {}).items()
    ]
    query = urlencode(filters)
    page_query = urlencode({**filters, "page": page.number}) if page.number > 1 else query
    context = {
        "entry": entry,
        "system_label": SYSTEMS[entry.system].label if entry.system in SYSTEMS else entry.system,
        "kinds": kinds,
        "revised_fields": revised_fields,
        "filter_form": filter_form,
        "filtered": bool(filters),
        "query": query,
        "page_query": page_query,
        "page": page,
        "items": _decorated(page.object_list, entry),
        "total": page.paginator.count,
        "first": first,
        "more_href": (
            _page_href(filters, page=page.next_page_number(), first=first)
            if page.has_next()
            else None
        ),
        "previous_href": (
            _page_href(filters, page=page.previous_page_number()) if page.has_previous() else None
        ),
        "roles": roles,
        "can_decide": may_decide,
        # Tick boxes and the action bar, while there is something to decide.
        "picks": may_decide and entry.pending > 0,
        "four_eyes": domain.blocked_by_four_eyes(roles.actor, entry.proposer),
        "items_form": ItemsForm(),
        "all_form": ApproveAllForm(),
        "selected": set(),
        "sync_limit": tasks.RELEASE_SYNC_LIMIT,
    }
    context.update(extra)
    return context


@screen
@require_GET
def release_list(request):
    """Release change sets, newest first, with their counts."""
    require_roles(request, STAFF, "Reading release change sets")
    rows = selectors.releases().exclude(system__in=unlicensed_systems(request))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"entry": entry, "system_label": getattr(SYSTEMS.get(entry.system), "label", entry.system)}
        for entry in page.object_list
    ]
    return render(
        request,
        "codesets/list.html",
        {"page": page, "rows": rows, "can_import": Roles(request.user).admin},
    )


@screen
@require_GET
def release_page(request, release_id):
    """A release's header, counts, filters and items; fragments for the filters and "more"."""
    require_roles(request, STAFF, "Reading release change sets")
    entry = _entry(release_id)
    if entry is None:
        return not_found(request, "There is no release change set with this id.")
    filter_form, filters = _filters(request.GET)
    first = request.GET.get("first", "")
    context = _context(
        request,
        entry,
        filter_form,
        filters,
        page_number=request.GET.get("page"),
        first=int(first) if first.isdigit() else None,
    )
    template = TEMPLATE
    if fragment(request):
        template += "#more" if request.htmx.target == "item-rows" else "#filtered"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # one URL, a page or a fragment
    return response


# --- deciding -----------------------------------------------------------------------------


def _plural(count: int, what: str = "item") -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _conflict_notice(conflicts: dict) -> str:
    codes = sorted(conflicts)
    listed = ", ".join(codes[:20]) + (" …" if len(codes) > 20 else "")
    return (
        f"{_plural(len(codes))} could not be applied because the code changed after the release "
        f"was diffed: {listed}. They stay pending; their rows show the current values. Reject "
        "them, or approve them again once the codes are reconciled."
    )


def _decided_first(release_id, error: DomainError) -> str:
    decided = error.details.get("decided") or {}
    rows = _items(release_id, {}).filter(code__in=list(decided))
    who = {row.code: row.decided_by for row in rows}
    listed = ", ".join(
        f"{code} ({outcome}{' by ' + who[code] if who.get(code) else ''})"
        for code, outcome in sorted(decided.items())
    )
    return (
        f"Someone decided {_plural(len(decided))} of your selection first: {listed}. "
        "Your decision was not applied to any item; the rows now show their current status."
    )


def _release_url(release_id, filters: dict, page=None) -> str:
    params = {**filters, **({"page": page} if page and str(page) != "1" else {})}
    url = reverse("codesets:release", args=[release_id])
    return f"{url}?{urlencode(params)}" if params else url


def _decided_response(request, entry, release_id, *, status=200, touched=(), **extra):
    """After a decision on ticked items: with htmx the action bar, the touched rows, the counts
    and the decision panel (out of band); without, the whole page."""
    filter_form, filters, page = _posted_view(request)
    written = extra.pop("written", None)
    decider, reason = extra.pop("decider", ""), extra.pop("reason", "")
    if fragment(request):
        rows = list(_items(release_id, {}).filter(code__in=list(touched)))
        extra["touched"] = _decorated(rows, entry)
        # The page being updated has its tick-box column, even if nothing is left pending.
        extra["picks"] = domain.may_decide(actor_for(request.user), entry.proposer)
    context = _context(request, entry, filter_form, filters, page_number=page, **extra)
    if written is not None:
        rows = [*context["items"], *context.get("touched", [])]
        _as_written(entry, rows, written, decider=decider, reason=reason)
    if fragment(request):
        # htmx swaps 2xx answers only: the fragment says what happened, the status stays 200.
        response = render(request, f"{TEMPLATE}#decided", context)
    else:
        response = render(request, TEMPLATE, context, status=status)
    return response


def _decided_event(response, entry):
    return trigger_client_event(
        response,
        "releaseDecided",
        {
            "pending": entry.pending,
            "applied": entry.applied,
            "rejected": entry.rejected,
            "conflicted": entry.conflicted,
        },
    )


def _decide_selected(request, release_id, action: str):
    actor = require_roles(request, DECIDERS, "Deciding on release items")
    entry = _entry(release_id)
    if entry is None:
        return not_found(request, "There is no release change set with this id.")
    form = ItemsForm(request.POST, action=action)
    if not form.is_valid():
        selected = set(CodesField().to_python(request.POST.getlist("codes")))
        return _decided_response(request, entry, release_id, items_form=form, selected=selected)
    codes = form.cleaned_data["codes"]
    kept = {"items_form": form, "selected": set(codes), "touched": codes}
    try:
        if action == "approve":
            decision = actions.release_approve(actor=actor, release_id=release_id, codes=codes)
        else:
            decision = actions.release_reject(
                actor=actor, release_id=release_id, codes=codes, reason=form.cleaned_data["reason"]
            )
    except Invalid as error:
        domain_errors(form, error)
        return _decided_response(request, entry, release_id, **kept)
    except Forbidden as error:  # four-eyes: the importer cannot decide
        return _decided_response(
            request, entry, release_id, status=403, notice=error.message, **kept
        )
    except InvalidState as error:  # someone decided some of them first
        kept["selected"] = set(codes) - set(error.details.get("decided") or {})
        notice = _decided_first(release_id, error)
        return _decided_response(
            request, _entry(release_id), release_id, status=409, notice=notice, **kept
        )
    except ConcurrencyError:  # the release kept moving under the service's retries
        notice = (
            "The release changed while you decided (another reviewer at work). "
            "Nothing was applied; check the rows and decide again."
        )
        return _decided_response(
            request, _entry(release_id), release_id, status=409, notice=notice, **kept
        )
    if action == "approve":
        done = f"Approved {_plural(len(decision.applied))}."
    else:
        done = f"Rejected {_plural(len(decision.rejected))}."
    notice = _conflict_notice(decision.conflicts) if decision.conflicts else ""
    if not fragment(request):
        messages.success(request, done)
        if notice:
            messages.warning(request, notice)
        _, filters, page = _posted_view(request)
        return redirect(_release_url(release_id, filters, page))
    response = _decided_response(
        request,
        entry,
        release_id,
        touched=codes,
        decided=done,
        notice=notice,
        written=decision.release,
        decider=actor.username,
        reason=form.cleaned_data["reason"] if action == "reject" else "",
    )
    return _decided_event(response, entry)


@screen
@require_POST
def approve_selected(request, release_id):
    """Approve the ticked items: each is applied to its code, or stays pending as a conflict."""
    return _decide_selected(request, release_id, "approve")


@screen
@require_POST
def reject_selected(request, release_id):
    """Reject the ticked items with a reason: they are never applied."""
    return _decide_selected(request, release_id, "reject")


def _batch_response(request, entry, *, status=200, **extra):
    """After approve-all: with htmx the items (page 1 of the same filters), the counts and the
    decision panel (out of band); without, the whole page."""
    filter_form, filters, _ = _posted_view(request)
    written = extra.pop("written", None)
    decider = extra.pop("decider", "")
    context = _context(request, entry, filter_form, filters, **extra)
    if written is not None:
        _as_written(entry, context["items"], written, decider=decider)
    if fragment(request):
        return render(request, f"{TEMPLATE}#approved-all", context)
    return render(request, TEMPLATE, context, status=status)


@screen
@require_POST
def approve_all(request, release_id):
    """Approve every pending item; a large release is approved by a background task."""
    actor = require_roles(request, DECIDERS, "Deciding on release items")
    entry = _entry(release_id)
    if entry is None:
        return not_found(request, "There is no release change set with this id.")
    form = ApproveAllForm(request.POST)
    if not form.is_valid():
        return _batch_response(request, entry, all_form=form)
    note = form.cleaned_data["note"]
    try:
        decision = tasks.release_approve_all(actor=actor, release_id=release_id, note=note)
        queued = decision.queued
        written = None if queued else decision.release
    except Forbidden as error:
        return _batch_response(request, entry, status=403, batch_notice=error.message)
    except (ConcurrencyError, InvalidState):
        entry = _entry(release_id)
        notice = (
            "The approval stopped: other decisions on this release kept arriving at the same "
            f"time. What was applied stays applied; {_plural(entry.pending)} are still pending. "
            "Approve all again to continue."
        )
        return _batch_response(request, entry, status=409, batch_notice=notice)
    if queued:
        done = (
            f"Approving all {_plural(queued, 'pending item')} runs in the background, "
            f"{actions.RELEASE_APPLY_CHUNK} codes at a time: the counts follow as it proceeds "
            "(reload to see them)."
        )
        entry = _entry(release_id)  # a task run in-process has applied them already
        notice = ""
    else:
        done = f"Approved {_plural(len(decision.applied))}."
        notice = _conflict_notice(decision.conflicts) if decision.conflicts else ""
        if not decision.applied and not decision.conflicts:
            done = "Nothing was pending: every item had been decided already."
    if not fragment(request):
        messages.success(request, done)
        if notice:
            messages.warning(request, notice)
        _, filters, _ = _posted_view(request)
        return redirect(_release_url(release_id, filters))
    response = _batch_response(
        request,
        entry,
        batch_done=done,
        batch_notice=notice,
        written=written,
        decider=actor.username,
    )
    return _decided_event(response, entry)
