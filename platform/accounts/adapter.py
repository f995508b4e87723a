"""allauth hooks: accounts an operator made without an email address sign in without one;
registering a taken address costs what registering a new one does."""

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model

_ALLAUTH_STAGE = "allauth.account.stages.EmailVerificationStage"
_OUR_STAGE = "accounts.stages.VerifyEmailUnlessOperatorMade"


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
