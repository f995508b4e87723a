"""allauth hooks: accounts an operator made without an email address sign in without one."""

from allauth.account.adapter import DefaultAccountAdapter

_ALLAUTH_STAGE = "allauth.account.stages.EmailVerificationStage"
_OUR_STAGE = "accounts.stages.VerifyEmailUnlessOperatorMade"


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self):
        return [
            _OUR_STAGE if stage == _ALLAUTH_STAGE else stage for stage in super().get_login_stages()
        ]
