from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from events.integrity import Digest, verify_chain
from events.protection import describe_missing, missing_protection
from events.store import head_position


class Command(BaseCommand):
    help = (
        "Check that the database refuses to change events, walk the hash chain and name the "
        "first event whose content, order or presence does not match; optionally prove that "
        "the log still extends a saved digest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--digest", type=Path, help="a digest file saved earlier")
        parser.add_argument("--save-digest", type=Path, help="write the verified head here")

    def handle(self, *args, digest=None, save_digest=None, **options):
        saved = None
        if digest:
            try:
                saved = Digest.parse(digest.read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read digest {digest}: {error}") from None
        with tqdm(
            total=head_position(), unit="ev", desc="verifying", disable=None, file=self.stderr._out
        ) as bar:
            result = verify_chain(digest=saved, progress=bar.update)
        if not result.ok:
            raise CommandError(
                f"FAILED at {result.problem} ({result.count} events verified before it)"
            )
        if missing := missing_protection():
            raise CommandError(
                f"FAILED: {describe_missing(missing)}; the chain itself verified "
                f"({result.count} events)"
            )
        self.stdout.write(
            f"OK: {result.count} events, head position {result.head_position}, "
            f"head hash {result.head_hash}; the database refuses UPDATE and DELETE of events"
        )
        if saved:
            self.stdout.write(f"OK: the log extends the digest at position {saved.position}")
        if save_digest:
            save_digest.write_text(result.digest().to_json() + "\n")
            self.stdout.write(f"digest saved to {save_digest}")
