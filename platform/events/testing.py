"""Test helpers other apps reuse (kept in the app, like django.test, so tests import it plainly)."""

from django.db import transaction

from events.projections import catch_up, get_projector, rebuild


def catch_up_each(*names: str) -> None:
    """Catch these projectors up, in order (tests whose writes never commit project by hand)."""
    for name in names:
        catch_up(name)


def assert_projection_matches_rebuild(*names: str) -> None:
    """The projection property: each live read model equals one rebuilt from scratch.

    Catches the projector up, snapshots its read model, rebuilds it from position 0 inside a
    transaction that is rolled back afterwards, and compares the two snapshots.
    """
    for name in names:
        projector = get_projector(name)
        result = catch_up(name, force=True)
        assert result.status == "caught_up", f"{name} could not catch up: {result}"
        live = projector.snapshot()
        with transaction.atomic():
            rebuild(name)
            rebuilt = projector.snapshot()
            transaction.set_rollback(True)
        assert live == rebuilt, f"read model of {name!r} differs from a rebuild from scratch"
