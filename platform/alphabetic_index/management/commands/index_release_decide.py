from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from alphabetic_index import actions
from codeledger.domain import DomainError, NotFound, actor_for
from events.progress import project_with_progress


class Command(BaseCommand):
    help = (
        "Approve or reject a proposed release of the Alphabetic Index as a reviewer. Approval "
        "puts it in force and supersedes the release it was compared with."
    )

    def add_arguments(self, parser):
        parser.add_argument("release_id")
        parser.add_argument("--reviewer", required=True, help="username of a reviewer or admin")
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--approve", action="store_true")
        decision.add_argument("--reject", action="store_true")
        parser.add_argument("--reason", default="", help="why (required to reject)")

    def handle(self, *args, release_id, reviewer, approve, reject, reason, **options):
        try:
            user = get_user_model().objects.get(username=reviewer)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {reviewer!r}") from None
        actor = actor_for(user)
        try:
            if approve:
                result = actions.index_release_approve(
                    actor=actor, release_id=release_id, note=reason
                )
            else:
                result = actions.index_release_reject(
                    actor=actor, release_id=release_id, reason=reason
                )
        except (DomainError, NotFound) as error:
            raise CommandError(getattr(error, "message", str(error))) from None
        project_with_progress(self.stderr._out)
        replaced = f"; it supersedes {result.replaced}" if result.replaced else ""
        self.stdout.write(f"index release {result.release_id}: {result.status}{replaced}")
