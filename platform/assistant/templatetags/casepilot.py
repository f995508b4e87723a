"""How a citation's `field` reads on screen: "notes.excludes1" -> "Excludes1 note"."""

from django import template

from codes.content import NOTE_LABELS

register = template.Library()

FIELD_LABELS = {
    "official_descriptor": "descriptor",
    "explanation": "plain-language explanation",
    "alphabetic_index": "Alphabetic Index entry",
    "search": "search match",
    "history": "history",
    "notes": "notes",
}


@register.filter
def citation_label(field_name: str) -> str:
    if field_name.startswith("notes."):
        kind = field_name.removeprefix("notes.")
        label = NOTE_LABELS.get(kind, kind.replace("_", " "))
        # "General notes" and "Inclusion terms" say what they are: no "General notes note".
        return label if label.endswith(("notes", "terms")) else f"{label} note"
    return FIELD_LABELS.get(field_name, field_name.replace("_", " "))
