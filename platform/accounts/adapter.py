"""allauth hooks: accounts an operator made without an email address sign in without one."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage

_ALLAUTH_STAGE = "allauth.account.stages.EmailVerificationStage"


class VerifyEmailUnlessOperatorMade(EmailVerificationStage):
    """Mandatory verification for every account that has an address; the demo logins and
    accounts created in the admin or by `createsuperuser` have none and are trusted as made."""

    def handle(self):
        user = self.login.user
        if (
            user is not None
            and not user.email
            and not EmailAddress.objects.filter(user_id=user.pk).exists()
        ):
            return None, True
        return super().handle()


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self):
        return [
            "accounts.adapter.VerifyEmailUnlessOperatorMade" if stage == _ALLAUTH_STAGE else stage
            for stage in super().get_login_stages()
        ]
