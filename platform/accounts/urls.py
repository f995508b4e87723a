"""allauth's account URLs, with registration and password reset answering in a uniform time."""

import time
from functools import wraps

from allauth.account import views as allauth_views
from django.conf import settings
from django.urls import include, path

from accounts.views import access_token_revoke, access_tokens, display_name


def uniform_duration(view):
    """A POST answers no sooner than ACCOUNT_UNIFORM_RESPONSE_SECONDS: creating an account
    (hashing its password, two inserts) takes longer than telling an existing owner by mail,
    and a timer must not tell which address has an account."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        started = time.monotonic()
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()  # rendering a form with errors is part of the answer's time
        left = settings.ACCOUNT_UNIFORM_RESPONSE_SECONDS - (time.monotonic() - started)
        if left > 0:
            time.sleep(left)
        return response

    return wrapped


urlpatterns = [
    path("name/", display_name, name="account_name"),
    path("tokens/", access_tokens, name="account_tokens"),
    path("tokens/<int:token_id>/revoke", access_token_revoke, name="account_token_revoke"),
    path("signup/", uniform_duration(allauth_views.signup), name="account_signup"),
    path(
        "password/reset/",
        uniform_duration(allauth_views.password_reset),
        name="account_reset_password",
    ),
    path("", include("allauth.account.urls")),
]
