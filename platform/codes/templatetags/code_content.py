"""Template filters that show a code's content as a person reads it (labels, values, times)."""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from codes.content import FIELDS, NOTE_LABELS
from codes.references import mentions

register = template.Library()


@register.filter
def note_label(kind: str) -> str:
    return NOTE_LABELS.get(kind, kind.replace("_", " ").capitalize())


@register.filter
def field_label(name: str) -> str:
    return FIELDS[name].label if name in FIELDS else name.replace("_", " ").capitalize()


@register.filter
def shown(value) -> str:
    """A field value as a person reads it: lists one per line, booleans as yes/no."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "\n".join(shown(v) for v in value)
    if isinstance(value, dict) and {"code", "relation"} <= set(value):  # one related code
        return f"{value['code']} ({note_label(value['relation'])})"
    if isinstance(value, dict):
        return "\n".join(
            f"{note_label(kind)}: {item}" for kind, items in value.items() for item in items
        )
    return str(value)


@register.filter
def iso_time(value: str) -> str:
    """ "2026-11-30T21:56:13.1+00:00" -> "2026-11-30 21:56" (times are stored in UTC)."""
    text = str(value or "")
    return f"{text[:10]} {text[11:16]}".strip()


@register.filter
def make_list_of_words(text: str) -> list[str]:
    return text.split()


@register.filter
def linked_codes(text: str, system: str) -> SafeString:
    """A note's text, escaped, with the codes, ranges and families of `system` it names linked
    to their code page: "J60-J70" to J60, "F17.-" to F17 (codes.references.mentions)."""
    text = str(text or "")
    pieces, at = [], 0
    for mention in mentions(system, text):
        href = reverse("reference:code", args=[system, mention.target])
        pieces.append(conditional_escape(text[at : mention.start]))
        pieces.append(format_html('<a href="{}">{}</a>', href, mention.text))
        at = mention.end
    pieces.append(conditional_escape(text[at:]))
    return mark_safe("".join(pieces))  # every piece is escaped above
