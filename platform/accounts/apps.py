from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Readers' accounts (django-allauth), the code-page meter, organisations and licences."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import post_delete, post_save
        from rest_framework_api_key.models import APIKey

        from accounts.licensing import grants_changed
        from accounts.lockout import count_failure
        from accounts.meter import carry_guest_views
        from accounts.models import Licence, OrganisationApiKey

        user_logged_in.connect(carry_guest_views, dispatch_uid="accounts.carry_guest_views")
        # Every way in fails through authenticate(): one lockout policy counts them all.
        user_login_failed.connect(count_failure, dispatch_uid="accounts.lockout.count")
        # What an API key may read is kept in memory (accounts.licensing.GrantCache).
        for model in (APIKey, OrganisationApiKey, Licence):
            for signal in (post_save, post_delete):
                signal.connect(
                    grants_changed, sender=model, dispatch_uid=f"grants:{model.__name__}"
                )
