"""Tamper evidence: events_verify names the exact position; digests prove history was kept."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from events.integrity import Digest, ImportRefused, export_lines, import_lines, verify_chain
from events.models import Event
from events.store import NewEvent, append, read_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_of_ten():
    for n in range(10):
        append(f"account:{n % 3}", [NewEvent(type="test.Deposited", data={"amount": n})])
    return [event.position for event in read_all()]


def tamper(sql, params=()):
    """Rewrite the log as an attacker with database access would (triggers lifted)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('codeledger.allow_event_rewrite', 'on', true)")
        cursor.execute(sql, params)


def verify_command(*args):
    out = io.StringIO()
    call_command("events_verify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_an_intact_log_verifies_with_count_and_head(log_of_ten):
    output = verify_command()
    head = Event.objects.get(position=log_of_ten[-1])
    assert f"OK: 10 events, head position {head.position}, head hash {head.hash}" in output


def test_altered_data_is_named_at_its_position(log_of_ten):
    target = log_of_ten[4]
    tamper("UPDATE events_event SET data = '{\"amount\": 1000}' WHERE position = %s", [target])
    with pytest.raises(CommandError, match=f"position {target}: content altered"):
        verify_command()


def test_a_deleted_event_is_named_by_the_position_after_the_gap(log_of_ten):
    tamper("DELETE FROM events_event WHERE position = %s", [log_of_ten[6]])
    result = verify_chain()
    assert result.problem.kind == "event_missing"
    assert result.problem.position == log_of_ten[7]
    assert f"after position {log_of_ten[5]}" in result.problem.detail


def test_two_swapped_events_are_reported_as_a_changed_order(log_of_ten):
    first, second = log_of_ten[2], log_of_ten[3]
    tamper(
        "UPDATE events_event SET position = CASE position WHEN %s THEN -1 ELSE position END "
        "WHERE position = %s",
        [first, first],
    )
    tamper("UPDATE events_event SET position = %s WHERE position = %s", [first, second])
    tamper("UPDATE events_event SET position = %s WHERE position = -1", [second])
    result = verify_chain()
    assert result.problem.kind == "order_changed"
    assert result.problem.position == first


def test_a_saved_digest_proves_the_log_extends_it(log_of_ten, tmp_path):
    digest_file = tmp_path / "digest.json"
    verify_command("--save-digest", str(digest_file))
    append("account:9", [NewEvent(type="test.Deposited", data={"amount": 1})])
    output = verify_command("--digest", str(digest_file))
    saved = Digest.parse(digest_file.read_text())
    assert saved.position == log_of_ten[-1]
    assert f"the log extends the digest at position {saved.position}" in output


def test_a_rewritten_history_with_recomputed_hashes_no_longer_matches_the_digest(log_of_ten):
    digest = verify_chain().digest()
    exported = list(export_lines())
    # The attacker rewrites event 5 and recomputes every hash after it, and, holding the seal
    # key too (this runs the application's own import), seals the result and removes the old
    # seals: the chain is self-consistent and sealed again, only the digest taken before can
    # tell. (Without the key the seals tell: tests/events/test_sealing.py.)
    forged = [json.loads(line) for line in exported]
    forged[5]["data"] = {"amount": 999}
    tamper("DELETE FROM events_event")
    tamper("DELETE FROM events_seal")
    from events.canonical import GENESIS_HASH, chain_hash

    prev = GENESIS_HASH
    for row in forged:
        content = {
            k: row[k]
            for k in (
                "stream",
                "version",
                "event_id",
                "type",
                "schema",
                "data",
                "meta",
                "recorded_at",
            )
        }
        row["prev_hash"], row["hash"] = prev, chain_hash(prev, content)
        prev = row["hash"]
    import_lines(json.dumps(row) + "\n" for row in forged)

    assert verify_chain().ok
    result = verify_chain(digest=digest)
    assert result.problem.kind == "digest_mismatch"


def test_export_then_import_into_an_empty_store_reproduces_every_hash(log_of_ten, tmp_path):
    export_file = tmp_path / "events.jsonl"
    call_command("events_export", "--output", str(export_file), stderr=io.StringIO())
    original = list(Event.objects.order_by("position").values_list("event_id", "hash"))
    tamper("DELETE FROM events_event")
    tamper("DELETE FROM events_seal")  # an empty store has no seals either

    out = io.StringIO()
    call_command("events_import", str(export_file), stdout=out, stderr=io.StringIO())
    assert "10 written, 0 already stored" in out.getvalue()
    assert list(Event.objects.order_by("position").values_list("event_id", "hash")) == original
    assert verify_chain().ok

    again = io.StringIO()
    call_command("events_import", str(export_file), stdout=again, stderr=io.StringIO())
    assert "0 written, 10 already stored" in again.getvalue()


def test_import_refuses_tampered_input_and_writes_nothing(log_of_ten):
    original = list(export_lines())
    tamper("DELETE FROM events_event")
    lines = list(original)
    row = json.loads(lines[3])
    row["data"] = {"amount": 12345}
    lines[3] = json.dumps(row) + "\n"
    with pytest.raises(ImportRefused, match=r"line 4 .* altered"):
        import_lines(lines)
    assert Event.objects.count() == 0

    with pytest.raises(ImportRefused, match=r"line 3 .* missing or moved"):
        import_lines(original[:2] + original[3:])
    assert Event.objects.count() == 0
