from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from codeledger.domain import DomainError, actor_for
from codesets import actions
from events.progress import project_with_progress


class Command(BaseCommand):
    help = (
        "Approve or reject the items of a release change set as a reviewer (all pending items, "
        "or the --codes given). Approval applies each item to its code atomically; an "
        "approval cut short resumes with the items still pending."
    )

    def add_arguments(self, parser):
        parser.add_argument("release_id")
        parser.add_argument("--reviewer", required=True, help="username of a reviewer or admin")
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--approve", action="store_true")
        decision.add_argument("--reject", action="store_true")
        parser.add_argument("--reason", default="", help="why (required to reject)")
        parser.add_argument("--codes", help="comma-separated codes (default: every pending item)")

    def handle(self, *args, release_id, reviewer, approve, reject, reason, codes, **options):
        try:
            user = get_user_model().objects.get(username=reviewer)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {reviewer!r}") from None
        actor = actor_for(user)
        targets = [c.strip() for c in codes.split(",") if c.strip()] if codes else None
        try:
            release = actions.load_release(release_id)
            if not release.exists:
                raise CommandError(f"no release {release_id}")
            if approve:
                total = len(targets) if targets is not None else len(release.pending)
                with tqdm(
                    total=total, unit="item", desc="applying", disable=None, file=self.stderr._out
                ) as bar:
                    decision = actions.release_approve(
                        actor=actor,
                        release_id=release_id,
                        codes=targets,
                        note=reason,
                        progress=bar.update,
                    )
            else:
                decision = actions.release_reject(
                    actor=actor, release_id=release_id, codes=targets, reason=reason
                )
        except DomainError as error:
            raise CommandError(error.message) from None
        project_with_progress(self.stderr._out)
        self.stdout.write(
            f"applied {len(decision.applied)}, rejected {len(decision.rejected)}, "
            f"conflicts {len(decision.conflicts)}; {len(decision.release.pending)} item(s) "
            f"still pending ({decision.release.status})"
        )
        for code, fields in list(decision.conflicts.items())[:20]:
            self.stdout.write(f"  conflict {code}: {', '.join(fields)} changed since the diff")
