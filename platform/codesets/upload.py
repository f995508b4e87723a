"""The admin screen that imports a code-set file (bring your own: HCPCS, licensed CPT, custom,
or a system the file defines), the same import as `manage.py codes_import --file`
(codesets.files).

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
from codesets.files import FORMATS, ImportRefused, MalformedFile, SystemOptions, import_file
from codesets.importing import ImportSummary
from codesets.sources import SOURCES

ADMINS = frozenset({ADMIN})
FORMAT_LABELS = {"fhir": "FHIR CodeSystem (JSON)", "csv": "CSV (columns in docs/code-sets.md)"}
LICENSED_CHOICES = [
    ("", "as the file says (not licensed when it says nothing)"),
    ("yes", "yes"),
    ("no", "no"),
]


def file_systems() -> list[str]:
    """The systems a file may import into: the packaged ones no packaged source fills, and
    those files have defined (read when the form is built, not when this module is loaded)."""
    packaged = {source.system for source in SOURCES.values()}
    return [name for name in SYSTEMS if name not in packaged]


class ImportFileForm(forms.Form):
    system = forms.CharField(
        label="Code set",
        max_length=20,
        help_text="hcpcs, cpt, custom, a code set a file defined before, or the name of a new "
        "one (2 to 20 lowercase letters, digits or dashes)",
        widget=forms.TextInput(attrs={"list": "file-systems", "autocomplete": "off"}),
    )
    file_format = forms.ChoiceField(
        label="Format", choices=[(name, FORMAT_LABELS[name]) for name in FORMATS]
    )
    release = forms.CharField(label="Release", max_length=100, help_text="e.g. 2026-Q2")
    effective_from = forms.DateField(
        label="In force from",
        required=False,
        help_text="YYYY-MM-DD; empty: from the day of a first import, or of the approval "
        "of a later release's items (a code's own date in the file comes first)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    file = forms.FileField(label="File")
    # A new code set's definition (a FHIR file's metadata otherwise; docs/code-sets.md).
    label = forms.CharField(label="Name shown", max_length=200, required=False)
    url = forms.CharField(label="Canonical URL", max_length=500, required=False)
    publisher = forms.CharField(label="Publisher", max_length=300, required=False)
    licence = forms.CharField(label="Licence or terms", max_length=1000, required=False)
    licensed = forms.ChoiceField(
        label="Licensed (readable only by licence holders)",
        choices=LICENSED_CHOICES,
        required=False,
    )

    def clean_system(self):
        return self.cleaned_data["system"].strip().lower()

    def options(self) -> SystemOptions:
        data = self.cleaned_data
        licensed = {"yes": True, "no": False}.get(data.get("licensed") or "")
        return SystemOptions(
            label=data.get("label") or None,
            url=data.get("url") or None,
            publisher=data.get("publisher") or None,
            licence=data.get("licence") or None,
            licensed=licensed,
        )


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
    context = {"form": form, "systems": [(name, SYSTEMS[name].label) for name in file_systems()]}
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "codesets/import_file.html", context, status=status)
    data = form.cleaned_data
    path = _saved(data["file"])
    try:
        summary = import_file(
            path,
            system=data["system"],
            file_format=data["file_format"],
            release=data["release"],
            effective_from=data["effective_from"],
            options=form.options(),
        )
    except (MalformedFile, ImportRefused) as error:
        form.add_error("file", f"Nothing was imported: {error}")
        return render(request, "codesets/import_file.html", context, status=400)
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
