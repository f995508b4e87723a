"""The account pages CodeLedger adds to allauth's: the name a person is shown by, and their
personal access tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import PersonalAccessToken
from accounts.names import user_display
from accounts.tokens import (
    MAX_EXPIRY_DAYS,
    MAX_LIVE_TOKENS,
    TooManyTokens,
    token_create,
    token_revoke,
)


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


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=PersonalAccessToken._meta.get_field("name").max_length,
        strip=True,
        help_text="What the token is for, e.g. “nightly export script”.",
        error_messages={"required": "Give the token a name, so you can tell it apart later."},
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text=f"Leave empty for a token that does not expire; at most {MAX_EXPIRY_DAYS}.",
        error_messages={
            "invalid": "Enter a whole number of days, such as 30, or leave it empty.",
            "min_value": "Enter a number of days of 1 or more, or leave it empty.",
        },
    )


def _fragment(request) -> bool:
    """htmx asked for a piece of the page (boosted requests and history restores get whole
    pages); as codeledger.screens.fragment, which this app may not import."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _tokens_page(request, form, *, created=None, status=200):
    """The page, or with htmx its token area only: the create form is posted with htmx, so the
    browser's address stays the page's and a reload asks for the list again, never for a
    second token (without JavaScript the browser warns before posting the form again)."""
    tokens = PersonalAccessToken.objects.filter(user=request.user, revoked_at__isnull=True)
    context = {
        "form": form,
        "tokens": tokens,
        "created": created,
        "cap": MAX_LIVE_TOKENS,
        "now": timezone.now(),
    }
    if _fragment(request):
        # htmx swaps 2xx answers only: the area says what happened, the status stays 200.
        response = render(request, "accounts/tokens.html#tokens-area", context)
    else:
        response = render(request, "accounts/tokens.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@never_cache  # the page that shows a new secret must not stay in any cache
@login_required
@require_http_methods(["GET", "POST"])
def access_tokens(request):
    """List the person's tokens and make a new one; its secret is shown on this answer only."""
    if request.method == "GET":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    try:
        token, secret = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
    except TooManyTokens as refusal:
        form.add_error(None, str(refusal))
        return _tokens_page(request, form, status=400)
    return _tokens_page(
        request, TokenForm(), created={"token": token, "secret": secret}, status=201
    )


@login_required
@require_http_methods(["GET", "POST"])
def access_token_revoke(request, token_id: int):
    """Ask, then revoke. Another person's token, or one already revoked, is not found."""
    token = get_object_or_404(
        PersonalAccessToken, pk=token_id, user=request.user, revoked_at__isnull=True
    )
    if request.method == "GET":
        return render(request, "accounts/token_revoke.html", {"token": token})
    token_revoke(actor=request.user, token=token)
    messages.success(
        request,
        f"Revoked “{token.name}” (clt_{token.prefix}_…): scripts sending it are now refused.",
    )
    return redirect("account_tokens")
