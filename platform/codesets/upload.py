"""The admin screen that imports a code-set file (bring your own: HCPCS, licensed CPT, custom),
the same import as `manage.py codes_import_file` (codesets.files).

Admins only: a first import registers codes without review. The upload is saved to a temporary
file and imported in the request; a malformed file re-shows the form with the line or JSON path
of the problem (400) and changes nothing. A first import goes back to the releases list with a
message; a later release opens its change set, where a reviewer (someone else) decides.
"""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from codeledger.domain import ADMIN
from codeledger.screens import require_roles, screen
from codes.systems import SYSTEMS
from codesets.files import FORMATS, ImportRefused, MalformedFile, import_file
from codesets.files import SYSTEMS as FILE_SYSTEMS
from codesets.importing import ImportSummary

ADMINS = frozenset({ADMIN})
FORMAT_LABELS = {"fhir": "FHIR CodeSystem (JSON)", "csv": "CSV (columns in docs/code-sets.md)"}


class ImportFileForm(forms.Form):
    system = forms.ChoiceField(
        label="Code set", choices=[(name, SYSTEMS[name].label) for name in FILE_SYSTEMS]
    )
    file_format = forms.ChoiceField(
        label="Format", choices=[(name, FORMAT_LABELS[name]) for name in FORMATS]
    )
    release = forms.CharField(label="Release", max_length=100, help_text="e.g. 2026-Q2")
    effective_from = forms.DateField(
        label="In force from",
        required=False,
        help_text="YYYY-MM-DD; empty: from the day of a first import, or of the approval "
        "of a later release's items",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    file = forms.FileField(label="File")


def _saved(upload) -> Path:
    """The upload as a file on disk (Django keeps small uploads in memory)."""
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix, delete=False) as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return Path(out.name)


@screen
@require_http_methods(["GET", "POST"])
def import_code_set_file(request):
    """The form, and the import it posts."""
    require_roles(request, ADMINS, "Importing a code-set file")
    form = ImportFileForm(request.POST or None, request.FILES or None)
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "codesets/import_file.html", {"form": form}, status=status)
    data = form.cleaned_data
    path = _saved(data["file"])
    try:
        summary = import_file(
            path,
            system=data["system"],
            file_format=data["file_format"],
            release=data["release"],
            effective_from=data["effective_from"],
        )
    except (MalformedFile, ImportRefused) as error:
        form.add_error("file", f"Nothing was imported: {error}")
        return render(request, "codesets/import_file.html", {"form": form}, status=400)
    finally:
        path.unlink(missing_ok=True)
    label = SYSTEMS[data["system"]].label
    if isinstance(summary, ImportSummary):
        messages.success(
            request,
            f"{label} {summary.release}: {summary.events_written} codes registered "
            f"({summary.already_present} were already).",
        )
        return redirect(reverse("codesets:releases"))
    if summary.status == "no_differences":
        messages.info(request, f"{label} {summary.release} matches the current codes.")
        return redirect(reverse("codesets:releases"))
    messages.success(request, f"{label} {summary.release}: a release change set to review.")
    return redirect(reverse("codesets:release", args=[summary.release_id]))
