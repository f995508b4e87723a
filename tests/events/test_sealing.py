"""Keyed seals (events.sealing): someone who can write the database but does not hold the seal
key cannot extend, rewrite or cut the log undetected, and keys rotate without breaking old
proofs. The attacker here writes rows with correctly computed hashes, as the chain alone would
accept."""

import io
import json
import uuid
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from events.canonical import chain_hash, event_content, plain_json
from events.integrity import Digest, export_lines, verify_chain
from events.models import Event, Seal
from events.sealing import current_key_id, mac
from events.store import NewEvent, append, read_all

pytestmark = pytest.mark.django_db

KEY_A = ("key-a", "a-secret-of-sixteen-or-more")
KEY_B = ("key-b", "another-secret-sixteen-plus")


@pytest.fixture(autouse=True)
def _key_a(settings):
    settings.EVENT_SEAL_KEYS = [KEY_A]


@pytest.fixture
def log_of_ten():
    for n in range(10):
        append(f"account:{n % 3}", [NewEvent(type="test.Deposited", data={"amount": n})])
    return [event.position for event in read_all()]


def lifted(sql, params=()):
    """SQL as someone with database access runs it (the append-only triggers lifted)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('codeledger.allow_event_rewrite', 'on', true)")
        cursor.execute(sql, params)


def _fields(row: dict) -> dict:
    return {
        "stream": row["stream"],
        "version": int(row["version"]),
        "event_id": row["event_id"],
        "type": row["type"],
        "schema": int(row["schema"]),
        "data": plain_json(row["data"]),
        "meta": plain_json(row["meta"]),
        "recorded_at": datetime.fromisoformat(row["recorded_at"]),
    }


def forge_append(data: dict) -> int:
    """An event written straight into the table, chained to the head with a correct hash."""
    last = json.loads(list(export_lines())[-1])
    row = {**last, "event_id": str(uuid.uuid4()), "version": last["version"] + 1, "data": data}
    fields = _fields(row)
    forged = Event.objects.create(
        **fields, prev_hash=last["hash"], hash=chain_hash(last["hash"], event_content(**fields))
    )
    return forged.position


def test_every_append_seals_the_head_with_the_current_key(log_of_ten):
    head = Event.objects.get(position=log_of_ten[-1])
    seal = Seal.objects.get(position=head.position)
    assert (seal.hash, seal.key_id) == (head.hash, "key-a")
    assert seal.mac == mac("seal", head.position, head.hash, key_id="key-a")
    assert Seal.objects.count() == 10  # one per append
    assert verify_chain().ok


def test_an_appended_forgery_is_caught_though_its_hash_is_right(log_of_ten):
    digest = verify_chain().digest()
    position = forge_append({"amount": 1_000_000})
    result = verify_chain(digest=digest)
    assert result.problem.kind == "unsealed"
    assert result.problem.position == position
    with pytest.raises(CommandError, match="carries no seal"):
        call_command("events_verify", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_forged_seal_without_the_key_is_caught(log_of_ten):
    position = forge_append({"amount": 7})
    head = Event.objects.get(position=position)
    Seal.objects.create(position=position, hash=head.hash, key_id="key-a", mac="0" * 64)
    assert verify_chain().problem.kind == "seal_forged"


def test_a_rewrite_with_recomputed_hashes_is_caught_at_the_first_seal_after_it(log_of_ten):
    rows = [json.loads(line) for line in export_lines()]
    rows[4]["data"] = {"amount": 999}
    prev = rows[3]["hash"]
    for row in rows[4:]:
        new_hash = chain_hash(prev, event_content(**_fields(row)))
        lifted(
            "UPDATE events_event SET data = %s, prev_hash = %s, hash = %s WHERE position = %s",
            [json.dumps(row["data"]), prev, new_hash, row["position"]],
        )
        prev = new_hash
    result = verify_chain()
    assert (result.problem.kind, result.problem.position) == ("seal_mismatch", rows[4]["position"])


def test_a_truncation_is_caught_by_its_seals_or_by_a_saved_digest(log_of_ten):
    digest = verify_chain().digest()
    lifted("DELETE FROM events_event WHERE position > %s", [log_of_ten[6]])
    assert verify_chain().problem.kind == "seal_orphaned"
    # Cutting the seals too leaves a log that is consistent and sealed: the digest kept
    # outside the database is what proves the cut.
    Seal.objects.filter(position__gt=log_of_ten[6]).delete()
    assert verify_chain().ok
    assert verify_chain(digest=digest).problem.kind == "digest_mismatch"


def test_a_digest_altered_to_match_a_rewritten_log_is_refused(log_of_ten, tmp_path):
    digest = verify_chain().digest()
    assert (digest.key_id, digest.authentic()) == ("key-a", True)
    altered = Digest(
        log_of_ten[3],
        Event.objects.get(position=log_of_ten[3]).hash,
        digest.taken_at,
        digest.key_id,
        digest.mac,
    )
    assert altered.authentic() is False
    path = tmp_path / "digest.json"
    path.write_text(altered.to_json())
    with pytest.raises(CommandError, match="digest forged"):
        call_command(
            "events_verify", "--digest", str(path), stdout=io.StringIO(), stderr=io.StringIO()
        )


def test_keys_rotate_without_breaking_old_proofs(log_of_ten, settings):
    old_digest = verify_chain().digest()
    settings.EVENT_SEAL_KEYS = [KEY_B, KEY_A]  # the new key first; the old one kept to verify
    append("account:9", [NewEvent(type="test.Deposited", data={"amount": 1})])
    assert current_key_id() == "key-b"
    assert Seal.objects.order_by("position").last().key_id == "key-b"
    assert verify_chain(digest=old_digest).ok
    settings.EVENT_SEAL_KEYS = [KEY_B]  # the old key dropped: what it sealed cannot be proved
    result = verify_chain()
    assert (
        result.problem.kind == "seal_forged" and "not in EVENT_SEAL_KEYS" in result.problem.detail
    )
