from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Readers' accounts (django-allauth), the code-page meter, organisations and licences."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.meter import carry_guest_views

        user_logged_in.connect(carry_guest_views, dispatch_uid="accounts.carry_guest_views")
