from django import forms

from knowledge.glossary import MAX_PLAIN, MAX_REASON, MAX_SOURCE, MAX_TERM


class ProposeTermForm(forms.Form):
    term = forms.CharField(max_length=MAX_TERM, help_text="the medical word, e.g. femur")
    plain = forms.CharField(
        label="Plain equivalent", max_length=MAX_PLAIN, help_text="e.g. the thigh bone"
    )
    source = forms.CharField(
        max_length=MAX_SOURCE, help_text="where the wording comes from: a guideline, a dictionary"
    )


class RejectTermForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2}))
