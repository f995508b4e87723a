"""Glossary screens: the list of terms with their sources (anyone), a form to propose a term
(editors), and approve / reject buttons on a waiting proposal (reviewers other than its
proposer). Each decision is a plain form post that redirects; htmx swaps the term's row."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from codeledger.domain import DECIDERS, PROPOSERS, DomainError, NotFound
from codeledger.screens import Roles, domain_errors, fragment, not_found, require_roles, screen
from knowledge.actions import glossary_term_approve, glossary_term_propose, glossary_term_reject
from knowledge.forms import ProposeTermForm, RejectTermForm
from knowledge.models import GlossaryTerm
from knowledge.selectors import glossary_terms


def _may_decide(roles: Roles, row: GlossaryTerm) -> bool:
    """Whether to offer the decision buttons (the action checks again when it runs)."""
    return roles.decider and row.status == "pending" and row.proposer != roles.actor.username


@require_safe
def glossary_page(request):
    """Every approved term with its plain equivalent and source; staff also see proposals."""
    roles = Roles(request.user)
    rows = [
        {"term": row, "may_decide": _may_decide(roles, row)}
        for row in glossary_terms(include_pending=roles.staff)
    ]
    return render(
        request,
        "knowledge/glossary.html",
        {"rows": rows, "roles": roles, "reject_form": RejectTermForm()},
    )


@screen
def glossary_propose(request):
    actor = require_roles(request, PROPOSERS, "Proposing a glossary term")
    form = ProposeTermForm(request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        try:
            written = glossary_term_propose(actor=actor, **form.cleaned_data)
        except DomainError as error:
            domain_errors(form, error)
        else:
            messages.success(request, f"“{written.term}” was proposed; a reviewer decides on it.")
            return redirect("knowledge:glossary")
    # An invalid form comes back with its messages, as review's forms do.
    return render(request, "knowledge/propose.html", {"form": form})


def _decided(request, term: str, message: str):
    if not fragment(request):
        messages.success(request, message)
        return redirect("knowledge:glossary")
    row = GlossaryTerm.objects.filter(term=term).first()
    roles = Roles(request.user)
    return render(
        request,
        "knowledge/glossary.html#row",
        {"row": {"term": row, "may_decide": _may_decide(roles, row)}, "roles": roles},
    )


@require_POST
@screen
def glossary_approve(request, term):
    actor = require_roles(request, DECIDERS, "Approving a glossary term")
    try:
        written = glossary_term_approve(actor=actor, term=term)
    except NotFound as error:
        return not_found(request, str(error))
    return _decided(request, written.term, f"“{written.term}” was approved.")


@require_POST
@screen
def glossary_reject(request, term):
    actor = require_roles(request, DECIDERS, "Rejecting a glossary term")
    form = RejectTermForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A rejection needs a reason.")
        return redirect("knowledge:glossary")
    try:
        written = glossary_term_reject(actor=actor, term=term, **form.cleaned_data)
    except NotFound as error:
        return not_found(request, str(error))
    return _decided(request, written.term, f"“{written.term}” was rejected.")
