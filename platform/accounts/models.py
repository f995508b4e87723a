"""The meter (who read which page in which period) and who holds which content licence.

Nothing here knows about codes: a metered page is an opaque `item` ("icd10cm:I21.4"), a licence
names a code system by its name ("cpt").
"""

from django.conf import settings
from django.db import models


class MeterReader(models.Model):
    """One row per meter key ("user:42", "guest:<cookie id>", "addr:<hashed address>"): the row
    a metered view locks, so two concurrent views of one reader are counted one after the
    other."""

    key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.key


class MeterView(models.Model):
    """A distinct page a reader opened in a period (re-opening it adds no row)."""

    key = models.CharField(max_length=80)
    period = models.DateField(help_text="the first day of the period")
    item = models.CharField(max_length=100)
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "period", "item"], name="meter_view_once_per_period"
            )
        ]
        indexes = [models.Index(fields=["period", "key"], name="meter_view_period_key")]

    def __str__(self):
        return f"{self.key} {self.period} {self.item}"


class Organisation(models.Model):
    """A customer: its members and API keys read the licensed content it holds licences for."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A person belongs to at most one organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")

    def __str__(self):
        return f"{self.user} in {self.organisation}"


class OrganisationApiKey(models.Model):
    """Which organisation an API key (djangorestframework-api-key) reads for."""

    api_key = models.OneToOneField(
        "rest_framework_api_key.APIKey", on_delete=models.CASCADE, related_name="organisation_link"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys"
    )

    def __str__(self):
        return f"{self.api_key} for {self.organisation}"


class Licence(models.Model):
    """An organisation may read a licensed code system's content (e.g. CPT from the AMA)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="licences"
    )
    system = models.CharField(max_length=20, help_text="a code system name, e.g. cpt")
    valid_until = models.DateField(null=True, blank=True, help_text="empty: no end")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "system"], name="licence_once_per_system"
            )
        ]

    def __str__(self):
        return f"{self.organisation}: {self.system}"


class PersonalAccessToken(models.Model):
    """A credential a person gives a script: it acts as that person, with their roles.

    Only the HMAC of the secret is kept (accounts/tokens.py says why a fast keyed hash is
    enough); the `prefix` is not secret: it finds the row and tells the person which token a
    list line is. A revoked token keeps its row, so the admin can see what existed and when.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100, help_text="what the person uses it for")
    prefix = models.CharField(max_length=16, unique=True)  # unique, so indexed
    secret_hash = models.CharField(max_length=64, help_text="HMAC-SHA256 of the secret, hex")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="empty: never")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="access_token_user_live")]

    def __str__(self):
        return f"{self.name} (clt_{self.prefix}_…)"
