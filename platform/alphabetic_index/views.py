"""The Alphabetic Index screens: letters, the main terms of a letter, a term with its subterms,
and a term search; everyone may read them.

A term with subterms has a plain link to its own page; with htmx the same URL answers the
subterms fragment, swapped in under the term (one level at a time). See references link to the
term they name, codes to their code page. `?release=<id>` shows another release than the one in
force (a proposed one, for its reviewers); links keep it.
"""

import string
import uuid
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from alphabetic_index import selectors
from codeledger.domain import NotFound
from codeledger.screens import fragment, not_found

SEARCH_LIMIT = 50


def _release(request):
    """The release asked for (`?release=`), else the one in force; None when there is none."""
    try:
        named = request.GET.get("release")
        release_id = uuid.UUID(named) if named else None
    except ValueError:
        raise NotFound("no such index release") from None
    try:
        return selectors.index_release(release_id=release_id)
    except NotFound:
        if release_id:
            raise
        return None


def _query(release, request) -> str:
    """The query string that keeps a named release on every link."""
    return "?" + urlencode({"release": release.release_id}) if "release" in request.GET else ""


def _code_link(entry, system: str):
    """The code page an entry's code leads to (billable, incomplete and header codes; a stale
    code has no page)."""
    code = entry.attached_code
    if not code and entry.code_status == "header":
        code = entry.resolved_code
    return reverse("reference:code", args=[system, code]) if code else None


def _decorated(entries, release, query: str) -> list:
    """Entries as the page shows them: links for their code and references."""
    entries = list(entries)
    targets = selectors.index_targets(release=release, entries=entries)
    for entry in entries:
        entry.href = reverse("alphabetic_index:term", args=[entry.n]) + query
        entry.code_href = _code_link(entry, release.system)
        entry.references = []
        for field, label in (("see", "see"), ("see_also", "see also")):
            text = getattr(entry, field)
            if not text:
                continue
            target = targets.get(getattr(entry, f"{field}_target"))
            entry.references.append(
                {
                    "label": label,
                    "text": text,
                    "href": reverse("alphabetic_index:term", args=[target.n]) + query
                    if target
                    else None,
                }
            )
    return entries


def _page(request, template: str, release, **context):
    query = _query(release, request) if release else ""
    letters = dict(selectors.index_letters(release=release)) if release else {}
    response = render(
        request,
        template,
        {
            "release": release,
            "query": query,
            "letters": [
                {
                    "letter": letter,
                    "count": letters.get(letter, 0),
                    "href": reverse("alphabetic_index:letter", args=[letter]) + query,
                }
                for letter in string.ascii_uppercase
            ],
            **context,
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def index_home(request):
    """The letters, and the entries matching a term (`?term=`)."""
    try:
        release = _release(request)
    except NotFound as error:
        return not_found(request, str(error))
    term = " ".join(request.GET.get("term", "").split())[:200]
    found = None
    if release and term:
        found = _decorated(
            selectors.index_search(release=release, term=term, limit=SEARCH_LIMIT),
            release,
            _query(release, request),
        )
    return _page(request, "alphabetic_index/index.html", release, term=term, found=found)


@require_safe
def letter_page(request, letter):
    """The main terms of one letter, in the index's order."""
    letter = letter.upper()
    try:
        release = _release(request)
        if release is None or letter not in string.ascii_uppercase or len(letter) != 1:
            raise NotFound(f"no letter {letter!r} in the Alphabetic Index")
    except NotFound as error:
        return not_found(request, str(error))
    terms = selectors.index_main_terms(release=release, letter=letter)
    entries = _decorated(terms, release, _query(release, request))
    return _page(request, "alphabetic_index/letter.html", release, letter=letter, entries=entries)


@require_safe
def term_page(request, n):
    """One entry with its subterms (the subterms alone for an htmx request: expanding)."""
    try:
        release = _release(request)
        if release is None:
            raise NotFound("no Alphabetic Index has been imported yet")
        entry = selectors.index_entry(release=release, n=n)
    except NotFound as error:
        return not_found(request, str(error))
    query = _query(release, request)
    (entry,) = _decorated([entry], release, query)
    subterms = _decorated(selectors.index_subterms(release=release, n=n), release, query)
    if fragment(request):
        response = render(
            request, "alphabetic_index/term.html#subterms", {"entry": entry, "subterms": subterms}
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    trail = _decorated(selectors.index_trail(release=release, entry=entry), release, query)
    return _page(
        request,
        "alphabetic_index/term.html",
        release,
        entry=entry,
        subterms=subterms,
        trail=trail,
        letter=entry.letter,
    )
