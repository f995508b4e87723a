import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

DEMO_USERS = {
    "editor": ("editor",),
    "editor2": ("editor",),
    "reviewer": ("reviewer",),
    "reviewer2": ("reviewer",),
    "auditor": ("auditor",),
    "admin": ("admin",),
}


class Command(BaseCommand):
    help = (
        "Create one demo account per role (embedded default only) and print the logins "
        "once; --reset gives them new passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="set new passwords")

    def handle(self, *args, reset=False, **options):
        if not settings.DEBUG:
            raise CommandError("demo users exist only in the embedded default (DEBUG on)")
        created = []
        for username, roles in DEMO_USERS.items():
            user, is_new = User.objects.get_or_create(username=username)
            if not (is_new or reset):
                continue
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.is_staff = user.is_superuser = username == "admin"
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
            created.append((username, ", ".join(roles), password))
        if not created:
            self.stdout.write(
                "demo users exist (their passwords were printed when they were "
                "made; `manage.py demo_users --reset` sets new ones)"
            )
            return
        self.stdout.write("Demo logins (shown once):")
        for username, roles, password in created:
            self.stdout.write(f"  {username:<10} {password:<14} {roles}")
