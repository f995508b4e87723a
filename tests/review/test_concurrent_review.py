"""Real threads: twenty reviewers approve one request at the same moment; exactly one wins."""

import threading

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from codeledger.domain import StaleBase, actor_for
from events.models import Event
from events.store import ConcurrencyError
from events.testing import assert_projection_matches_rebuild
from review.actions import change_request_approve, change_request_submit


@pytest.mark.django_db(transaction=True)
def test_twenty_reviewers_approving_at_once_apply_the_change_exactly_once(people, nstemi):
    reviewers = Group.objects.get_or_create(name="reviewer")[0]
    actors = []
    for n in range(20):
        user = User.objects.create_user(f"reviewer{n}")
        user.groups.add(reviewers)
        actors.append(actor_for(user))
    change = change_request_submit(
        actor=actor_for(people["alice"]),
        system="icd10cm",
        code="I21.4",
        base_version=1,
        changes={"short_descriptor": "NSTEMI"},
        rationale="short",
    )
    barrier = threading.Barrier(len(actors))
    outcomes = []

    def approve(actor):
        try:
            barrier.wait()
            change_request_approve(
                actor=actor, change_id=change.change_request.change_id, expected_version=1
            )
            outcomes.append("approved")
        except (ConcurrencyError, StaleBase):
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("approved") == 1
    assert outcomes.count("conflict") == 19
    assert Event.objects.filter(stream="code:icd10cm:I21.4").count() == 2  # registered + one
    assert Event.objects.filter(type="ChangeRequestApproved").count() == 1
    assert_projection_matches_rebuild("codes", "review", "codesets")
