"""Forms of the review screens. They shape input; the rules stay in review.domain."""

import contextlib

from django import forms
from django.core.exceptions import ValidationError

from codes.content import FIELDS, NOTE_KINDS, NOTE_LABELS, RELATION_KINDS, STATUSES
from codes.systems import SYSTEMS
from review.models import NotificationPreference

# The fields a person edits on the proposal form, in the order shown.
EDITABLE = (
    "official_descriptor",
    "short_descriptor",
    "common_description",
    "lay_terms",
    "billable",
    "status",
    "chapter",
    "block",
    "parent",
)
TEXT_FIELDS = ("official_descriptor", "short_descriptor", "common_description")
HIERARCHY_FIELDS = ("chapter", "block", "parent")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ProposalForm(forms.Form):
    """New values for a code's content, the version they were written against, and why."""

    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    official_descriptor = forms.CharField(
        label=FIELDS["official_descriptor"].label,
        max_length=FIELDS["official_descriptor"].max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    short_descriptor = forms.CharField(
        label=FIELDS["short_descriptor"].label,
        max_length=FIELDS["short_descriptor"].max_length,
        required=False,
    )
    common_description = forms.CharField(
        label=FIELDS["common_description"].label,
        max_length=FIELDS["common_description"].max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    lay_terms = forms.CharField(
        label=FIELDS["lay_terms"].label,
        required=False,
        help_text="One term per line.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    related = forms.CharField(
        label=FIELDS["related"].label,
        required=False,
        help_text=(
            "One per line: the code, then its relation, e.g. “I25.2 excludes2” or “F17.- "
            "use_additional”; a code of another system as “icd10pcs:0JH60DZ see_also”. "
            f"Relations: {', '.join(RELATION_KINDS)}."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    chapter = forms.CharField(
        label=FIELDS["chapter"].label, max_length=FIELDS["chapter"].max_length, required=False
    )
    block = forms.CharField(
        label=FIELDS["block"].label, max_length=FIELDS["block"].max_length, required=False
    )
    parent = forms.CharField(
        label=FIELDS["parent"].label, max_length=FIELDS["parent"].max_length, required=False
    )
    billable = forms.BooleanField(label=FIELDS["billable"].label, required=False)
    status = forms.ChoiceField(
        label=FIELDS["status"].label, choices=[(s, s.capitalize()) for s in STATUSES]
    )
    rationale = forms.CharField(
        label="Rationale",
        max_length=5000,
        help_text="Why this change is right: the source, the reasoning. Reviewers read it.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why: a rationale is required."},
    )
    effective_from = forms.DateField(
        label="Effective date",
        required=False,
        help_text="Optional: the day the change comes into force (empty: when approved).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, system: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.system = system  # related codes without a system prefix belong to this one
        for kind in NOTE_KINDS:
            self.fields[f"note_{kind}"] = forms.CharField(
                label=NOTE_LABELS[kind],
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def note_fields(self):
        return [self[f"note_{kind}"] for kind in NOTE_KINDS]

    def clean_related(self) -> list[dict]:
        items, problems = [], []
        for number, line in enumerate(_lines(self.cleaned_data["related"]), start=1):
            try:
                items.append(parse_related(line, self.system))
            except ValidationError as error:
                problems.append(f"Line {number} (“{line}”): {error.messages[0]}")
        if problems:
            raise ValidationError(problems)
        return items

    @staticmethod
    def initial_for(content: dict, base_version: int, system: str = "") -> dict:
        """Form values for a code's content (lists one item per line)."""
        initial = {name: content.get(name) for name in EDITABLE}
        initial["lay_terms"] = "\n".join(content.get("lay_terms") or [])
        initial["related"] = "\n".join(
            related_line(item, system) for item in content.get("related") or []
        )
        notes = content.get("notes") or {}
        for kind in NOTE_KINDS:
            initial[f"note_{kind}"] = "\n".join(notes.get(kind) or [])
        initial["base_version"] = base_version
        return initial

    def proposed(self) -> dict:
        """The edited fields as content values (valid forms only)."""
        data = self.cleaned_data
        # The hierarchy and related codes came later to the form: a post without them (an
        # older page, a script) leaves them alone, as it does the notes.
        sent = [n for n in EDITABLE if n not in HIERARCHY_FIELDS or n in self.data]
        values = {name: data[name] for name in sent}
        values["lay_terms"] = _lines(data["lay_terms"])
        for name in (*TEXT_FIELDS, *HIERARCHY_FIELDS):
            if name in values:
                values[name] = (values[name] or "").strip()
        if "related" in self.data:  # a post without the field leaves related codes alone
            values["related"] = data["related"]
        if _has_notes(self.data):  # a post without the note fields leaves the notes alone
            values["notes"] = _notes(data)
        return values

    def changes(self, current: dict) -> dict:
        """Only what differs from the current content: that is the proposal."""
        return {
            name: value for name, value in self.proposed().items() if current.get(name) != value
        }


def related_line(item: dict, system: str) -> str:
    """A related code as the form shows it: “I25.2 excludes2” (“icd10pcs:0JH60DZ see_also”
    for a code of another system)."""
    code = item["code"] if item["system"] == system else f"{item['system']}:{item['code']}"
    return f"{code} {item['relation']}"


def parse_related(line: str, system: str) -> dict:
    """The inverse of related_line; the code itself is checked by the domain."""
    parts = line.split()
    if len(parts) != 2:
        raise ValidationError("write the code, a space, then the relation")
    code, relation = parts
    if relation not in RELATION_KINDS:
        raise ValidationError(f"“{relation}” is not a relation")
    if ":" in code:
        system, code = code.split(":", 1)
        if system not in SYSTEMS:
            raise ValidationError(f"“{system}” is not a code system")
    if system in SYSTEMS and not code.endswith("-"):
        # Left as typed when it is not a valid code: the domain names what is wrong with it.
        with contextlib.suppress(ValidationError):
            code = SYSTEMS[system].display(code)
    return {"system": system, "code": code, "relation": relation}


def _has_notes(data) -> bool:
    return any(f"note_{kind}" in data for kind in NOTE_KINDS)


def _notes(data) -> dict:
    notes = {kind: _lines(data.get(f"note_{kind}", "")) for kind in NOTE_KINDS}
    return {kind: items for kind, items in notes.items() if items}


def preview_values(data, current: dict, system: str = "") -> dict:
    """Field values typed so far (not yet validated), for the live diff preview."""
    values = {}
    for name in TEXT_FIELDS:
        if name in data:
            values[name] = data.get(name, "").strip()
    for name in HIERARCHY_FIELDS:
        if name in data:
            values[name] = data.get(name, "").strip()
    if "lay_terms" in data:
        values["lay_terms"] = _lines(data.get("lay_terms", ""))
    if "related" in data:
        related = []
        for line in _lines(data.get("related", "")):
            try:
                related.append(parse_related(line, system))
            except ValidationError:
                continue  # the preview shows what parses; the form names the bad lines
        values["related"] = related
    if "status" in data:
        values["status"] = data.get("status")
        # An unchecked box is absent from a form post: only read it when the form was sent.
        values["billable"] = data.get("billable") in ("on", "true", "1")
    if _has_notes(data):
        values["notes"] = _notes(data)
    return {name: value for name, value in values.items() if current.get(name) != value}


class NewCodeForm(ProposalForm):
    """A code that does not exist yet: its system and code, then its content."""

    system = forms.ChoiceField(label="Code system")
    code = forms.CharField(label="Code", max_length=FIELDS["parent"].max_length)
    field_order = ["system", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [("", "Choose…")] + [
            (name, system.label) for name, system in SYSTEMS.items()
        ]

    def clean(self):
        data = super().clean()
        system, code = data.get("system"), data.get("code")
        if system and code:
            try:
                data["code"] = SYSTEMS[system].display(code)
            except ValidationError as error:
                self.add_error("code", error.messages[0])
        return data


class DecisionForm(forms.Form):
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ApproveForm(DecisionForm):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(DecisionForm):
    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason: the proposer will read it."},
    )


class RequestChangesForm(DecisionForm):
    message = forms.CharField(
        label="What should change",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what should change."},
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Add a comment",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something first."},
    )


class ReviseForm(ProposalForm):
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


QUEUE_STATUSES = [
    ("submitted", "Waiting for review"),
    ("conflicted", "Conflicted"),
    ("changes_requested", "Changes requested"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn"),
    ("all", "All"),
]
AGES = [
    ("", "Any age"),
    ("1", "Older than a day"),
    ("7", "Older than a week"),
    ("30", "Older than 30 days"),
]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=QUEUE_STATUSES, required=False)
    system = forms.ChoiceField(label="System", required=False)
    proposer = forms.ChoiceField(label="Proposer", required=False)
    age = forms.ChoiceField(label="Age", choices=AGES, required=False)

    def __init__(self, *args, systems=(), proposers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [("", "All systems"), *systems]
        self.fields["proposer"].choices = [("", "Anyone"), *((p, p) for p in proposers)]


class NotificationPreferenceForm(forms.ModelForm):
    """Which review mails a person gets; a reviewer sees both kinds, an editor their own."""

    class Meta:
        model = NotificationPreference
        fields = ["my_requests", "requests_to_review"]

    def __init__(self, *args, decider: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not decider:
            del self.fields["requests_to_review"]  # they never get these
