"""Two scripts (or two tabs) create a token at once with one live token left under the cap:
exactly one is made (real PostgreSQL, one connection per thread, both started at a barrier)."""

import threading

import pytest
from django.db import connection

from accounts.models import PersonalAccessToken
from accounts.tokens import MAX_LIVE_TOKENS, TooManyTokens, live_tokens, token_create
from tests.conftest import make_user

ROUNDS = 3


@pytest.mark.django_db(transaction=True)  # one connection per thread, each committing
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_creations_at_once_with_one_left_make_exactly_one(round_):
    user = make_user(f"scripter{round_}", "editor")
    for n in range(MAX_LIVE_TOKENS - 1):
        token_create(user=user, name=f"t{n}")
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def create(name):
        try:
            barrier.wait(timeout=10)
            token_create(user=user, name=name)
            outcomes.append("made")
        except TooManyTokens:
            outcomes.append("refused")
        except Exception as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(outcomes) == ["made", "refused"]
    assert live_tokens(user).count() == MAX_LIVE_TOKENS
    assert PersonalAccessToken.objects.filter(user=user).count() == MAX_LIVE_TOKENS
