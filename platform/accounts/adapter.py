"""allauth hooks: accounts an operator made without an email address sign in without one;
registering a taken address costs what registering a new one does; mails say the site's name."""

import secrets
from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth import get_user_model

_ALLAUTH_STAGE = "allauth.account.stages.EmailVerificationStage"
_OUR_STAGE = "accounts.stages.VerifyEmailUnlessOperatorMade"


@dataclass(frozen=True)
class MailSite:
    """What allauth's mail templates read as `current_site`: without the sites framework
    allauth uses the request's host for both, so mails said "Hello from 127.0.0.1:8000!"."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self):
        return [
            _OUR_STAGE if stage == _ALLAUTH_STAGE else stage for stage in super().get_login_stages()
        ]

    def send_account_already_exists_mail(self, email: str) -> None:
        # A new account hashes its password; without the same hash here, a taken address would
        # answer sooner than a free one (the response floor alone is shorter than one hash).
        get_user_model()().set_password(secrets.token_urlsafe())
        super().send_account_already_exists_mail(email)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = context.get("request") or allauth_context.request
        domain = request.get_host() if request is not None else ""
        super().send_mail(
            template_prefix,
            email,
            {**context, "current_site": MailSite(settings.SITE_NAME, domain)},
        )
