"""allauth login stages (imported by allauth by dotted path, when a login runs: importing
allauth's stages while the adapter module loads would be a circular import)."""

from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage


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
