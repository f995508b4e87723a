"""The account pages CodeLedger adds to allauth's: the name a person is shown by."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.names import user_display


class NameForm(forms.Form):
    name = forms.CharField(
        label="Your name",
        max_length=150,  # the length of User.first_name, where it is kept
        required=False,
        strip=True,
        help_text="How CodeLedger shows you in its pages and mails. Leave it empty to be shown "
        "by your email address.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def display_name(request):
    """Choose the name shown in the header, messages and mails (accounts.names)."""
    user = request.user
    form = NameForm(request.POST or None, initial={"name": user.first_name})
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "accounts/name.html", {"form": form}, status=400)
        user.first_name = form.cleaned_data["name"]
        user.save(update_fields=["first_name"])
        messages.success(request, f"You are now shown as {user_display(user)}.")
        return redirect("account_name")
    return render(request, "accounts/name.html", {"form": form})
