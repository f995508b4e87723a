"""The /check form: codes as pasted (one per line, or separated by commas), system, date."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from checks.engine import MAX_CODES, clean_codes
from codes.systems import SYSTEMS

# Pasted lists come one per line, or "E11.9, E10.9", or with semicolons and spaces between.
_SEPARATORS = re.compile(r"[\s,;]+")
_ITEM = re.compile(r"^codes\[(\d+)\]$")


def split_codes(text: str) -> list[str]:
    return [item for item in _SEPARATORS.split(text) if item]


class CheckForm(forms.Form):
    codes = forms.CharField(
        label="Codes",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text=f"One per line, or separated by commas; up to {MAX_CODES}.",
        max_length=MAX_CODES * 30,
    )
    system = forms.ChoiceField(
        label="Code system",
        # Read when a form is made: a system a file defined since the server started is listed.
        choices=lambda: [(name, system.label) for name, system in SYSTEMS.items()],
        initial="icd10cm",
    )
    date_of_service = forms.DateField(
        label="Date of service",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The codes must be valid on this day; today when left empty.",
    )

    def clean(self):
        data = super().clean()
        if "codes" not in data or "system" not in data:
            return data
        items = split_codes(data["codes"])
        try:
            data["codes"] = clean_codes(data["system"], items)
        except ValidationError as error:
            messages = []
            for key, texts in error.message_dict.items():
                item = _ITEM.match(key)
                where = (
                    f"Code {int(item.group(1)) + 1} ({items[int(item.group(1))]})" if item else ""
                )
                messages += [f"{where}: {text}" if where else text for text in texts]
            self.add_error("codes", messages)
        data["date_of_service"] = data.get("date_of_service") or timezone.localdate()
        return data
