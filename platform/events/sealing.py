"""Keyed seals: what makes the log's tamper evidence hold against someone who can write the
database (docs/audit.md, "Seals").

The hash chain alone proves the log is self-consistent, but anyone who can write the events
table can append an event with a correctly computed hash, or rewrite and re-hash a tail. So every
append also writes a seal: HMAC-SHA256, under a key from the environment (EVENT_SEAL_KEYS, never
in the database nor its backups), over the position and hash of the log's new head. The chain
links every earlier event to that head, so one seal per append covers all of it. Verification
(events.integrity.verify_chain) then finds:
- an append made without the key: events after the last seal;
- a rewrite with recomputed hashes: a seal whose hash is no longer the event's at its position;
- a forged seal: a MAC that the key does not give;
- a truncation: a seal beyond the head, or, when the seals went too, a saved digest whose event
  is missing (digests carry a MAC of their own, so a forged digest is refused too).
Keys rotate by putting a new key first; the old ones stay listed to verify what they sealed.
"""

import hashlib
import hmac

from django.conf import settings

from events.models import Seal


class UnknownKey(LookupError):
    pass


def _keys() -> dict[str, bytes]:
    return {key_id: secret.encode() for key_id, secret in settings.EVENT_SEAL_KEYS}


def current_key_id() -> str:
    return settings.EVENT_SEAL_KEYS[0][0]


def mac(kind: str, *parts, key_id: str | None = None) -> str:
    """The MAC of `kind` ("seal" or "digest") over `parts` under key `key_id` (default: the
    current key); UnknownKey when that key is not configured."""
    key_id = key_id or current_key_id()
    try:
        secret = _keys()[key_id]
    except KeyError:
        raise UnknownKey(f"key {key_id!r} is not in EVENT_SEAL_KEYS") from None
    message = ":".join(["codeledger", kind, *map(str, parts)]).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def matches(kind: str, *parts, key_id: str, given: str) -> bool:
    return hmac.compare_digest(mac(kind, *parts, key_id=key_id), given)


def seal_head(position: int, head_hash: str) -> None:
    """Seal the log's head; called by the store inside the append's transaction."""
    key_id = current_key_id()
    Seal.objects.create(
        position=position,
        hash=head_hash,
        key_id=key_id,
        mac=mac("seal", position, head_hash, key_id=key_id),
    )
