"""Sign-in by username or email address, with the same work for known and unknown logins."""

from allauth.account import auth_backends


class AuthenticationBackend(auth_backends.AuthenticationBackend):
    """allauth's backend, checking a password once per sign-in.

    For a login that looks like an email address, allauth's form passes it both as `username`
    and as `email`, and the backend checked a known address's password twice (three hashes with
    Django's ModelBackend, two for an unknown address): a timer could tell who has an account.
    The username path already tries the login as an email address first, so `email` adds
    nothing but the second check.
    """

    def authenticate(self, request, **credentials):
        if credentials.get("email") and credentials.get("email") == credentials.get("username"):
            credentials.pop("email")
        return super().authenticate(request, **credentials)
