"""Code systems: how each validates a code, shows it, and normalises it (`I21.4` = `i214`).

The packaged systems are defined here, in code; a system that an imported file defines
(`manage.py codes_import --file`, docs/code-sets.md) is recorded as events on its own stream
and read from the `code_systems` read model. `SYSTEMS` and `get_system` answer for both.
"""

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import SynchronousOnlyOperation, ValidationError
from django.db import DatabaseError, transaction


@dataclass(frozen=True)
class Attribution:
    """Where a content field's text comes from and under what terms (shown under each section
    of the code page and returned by the API with each field)."""

    source: str
    licence: str

    def line(self) -> str:
        return f"{self.source}. {self.licence}."


PUBLISHER = Attribution("Written by the CodeLedger editors", "© CodeLedger, all rights reserved")


# Every text about a licensed system's code: even a plain-language paraphrase retells the
# licensor's (CPT's, and a file-defined licensed system's).
LICENSED_FIELDS = frozenset(
    {
        "official_descriptor",
        "short_descriptor",
        "common_description",
        "notes",
        "related",
        "chapter",
        "block",
        "lay_terms",
    }
)
MAX_CODE_LENGTH = 20  # codes.models.CodeEntry.code


@dataclass(frozen=True)
class CodeSystem:
    name: str
    label: str
    pattern: re.Pattern
    format_hint: str
    licensed: bool = False
    dotted_after: int | None = None  # ICD-10-CM shows a dot after the third character
    # Where the official text (descriptors, notes, hierarchy, related codes) comes from; the
    # common-language description and lay terms are the publisher's (editorial.content).
    official: Attribution = Attribution("Source not recorded", "Terms not recorded")
    # For a licensed system: the fields shown only to holders of its licence.
    restricted_fields: frozenset = frozenset()
    # The canonical URL FHIR names the system by, and who publishes it.
    url: str = ""
    publisher: str = ""
    # Whether `a1` and `A1` are two codes (a custom or file-defined system's) or one.
    case_sensitive: bool = False
    version: str = ""  # a file-defined system's version, as its file gave it
    packaged: bool = True  # defined here, in code; False: defined by an imported file

    def display(self, raw: str) -> str:
        """The code as people write it; raises ValidationError when it is not a valid code."""
        compact = raw.strip().upper().replace(".", "") if self.dotted_after else raw.strip()
        if not self.case_sensitive:
            compact = compact.upper()
        if len(compact) > MAX_CODE_LENGTH or not self.pattern.fullmatch(compact):
            raise ValidationError(
                f"{raw!r} is not a valid {self.label} code ({self.format_hint})", code="code"
            )
        if self.dotted_after and len(compact) > self.dotted_after:
            return f"{compact[: self.dotted_after]}.{compact[self.dotted_after :]}"
        return compact

    def normalise(self, raw: str) -> str:
        """The search form: lowercase, no punctuation."""
        return self.display(raw).replace(".", "").lower()


PACKAGED_SYSTEMS = {
    system.name: system
    for system in (
        CodeSystem(
            "icd10cm",
            "ICD-10-CM",
            # A digit in second place, except QA0 (added by CMS in April 2026).
            re.compile(r"[A-Z](?:[0-9][0-9A-Z]|A0)[0-9A-Z]{0,4}"),
            "a letter, a digit, a letter or digit, then up to 4 more, e.g. I21.4",
            dotted_after=3,
            official=Attribution(
                "ICD-10-CM, Centers for Medicare & Medicaid Services (CMS) and NCHS",
                "Public domain",
            ),
            url="http://hl7.org/fhir/sid/icd-10-cm",
            publisher="Centers for Medicare & Medicaid Services (CMS) and NCHS",
        ),
        CodeSystem(
            "icd10pcs",
            "ICD-10-PCS",
            re.compile(r"[0-9A-HJ-NP-Z]{7}"),
            "7 letters or digits without I or O, e.g. 0DTJ4ZZ",
            official=Attribution(
                "ICD-10-PCS, Centers for Medicare & Medicaid Services (CMS)", "Public domain"
            ),
            url="http://www.cms.gov/Medicare/Coding/ICD10",
            publisher="Centers for Medicare & Medicaid Services (CMS)",
        ),
        CodeSystem(
            "hcpcs",
            "HCPCS Level II",
            re.compile(r"[A-Z][0-9]{4}"),
            "a letter and 4 digits, e.g. E0114",
            official=Attribution(
                "HCPCS Level II, Centers for Medicare & Medicaid Services (CMS)", "Public domain"
            ),
            url="https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
            publisher="Centers for Medicare & Medicaid Services (CMS)",
        ),
        CodeSystem(
            "cpt",
            "CPT",
            re.compile(r"[0-9]{4}[0-9FTU]"),
            "4 digits then a digit, F, T or U, e.g. 93017",
            licensed=True,
            official=Attribution(
                "CPT®, American Medical Association (AMA)",
                "CPT © American Medical Association, all rights reserved; licensed, shown only "
                "to licence holders",
            ),
            restricted_fields=LICENSED_FIELDS,
            url="http://www.ama-assn.org/go/cpt",
            publisher="American Medical Association",
        ),
        CodeSystem(
            "custom",
            "Custom",
            re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}"),
            "1 to 20 letters, digits, dots, dashes or underscores",
            official=Attribution("A custom code set", "Terms of its owner"),
            url="urn:codeledger:code-system:custom",
            publisher="CodeLedger",
            case_sensitive=True,
        ),
    )
}

# --- systems defined by an imported file (codesets.files) ----------------------------------

NAME = re.compile(r"[a-z][a-z0-9-]{1,19}")  # a stream name part: no ':' (codes.streams)
DEFAULT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}"
DEFAULT_FORMAT_HINT = "1 to 20 letters, digits, dots, dashes or underscores"
# How long a process trusts the file-defined systems it read before reading them again. A name
# it does not know is read at once (a system another process has just defined is found by its
# first lookup); only lists of systems, and revisions, may lag by this much.
REFRESH_SECONDS = 5.0


def defined_system(definition: dict) -> CodeSystem:
    """The CodeSystem a file defined, from its definition (a CodeSystemEntry row's fields, or a
    CodeSystemDefined event's): codes are case-sensitive, as FHIR's are, and a licensed
    system's every text is restricted, as CPT's."""
    publisher = definition.get("publisher") or ""
    label = definition["label"]
    url = definition.get("url") or ""
    # Where the text comes from, as a reader can follow it: the label, the publisher, the URL.
    source = ", ".join(part for part in (label, publisher) if part)
    if url.startswith(("http://", "https://")):
        source = f"{source} ({url})"
    return CodeSystem(
        definition["name"],
        label,
        re.compile(definition.get("code_pattern") or DEFAULT_PATTERN),
        definition.get("format_hint") or DEFAULT_FORMAT_HINT,
        licensed=bool(definition.get("licensed")),
        official=Attribution(source, definition.get("licence") or "Terms of its owner"),
        restricted_fields=LICENSED_FIELDS if definition.get("licensed") else frozenset(),
        url=url,
        publisher=publisher,
        case_sensitive=True,
        version=definition.get("version") or "",
        packaged=False,
    )


class Systems(Mapping):
    """Every code system by name: the packaged ones (above, in this order), then those defined
    by imported files (the `code_systems` read model, codes.models.CodeSystemEntry), by name.

    Read-only. Building it reads nothing, and nothing is read before the apps are ready (a
    module that lists it while the apps load sees the packaged systems); then the read model is
    read lazily, at most every REFRESH_SECONDS, or at once for a name this process has not
    seen. Where it cannot be read (before `migrate` has made the table, without a database)
    there are no file-defined systems.
    """

    def __init__(self, packaged: dict[str, CodeSystem]):
        self._packaged = packaged
        self._defined: dict[str, CodeSystem] = {}
        self._read_at: float | None = None
        self._unreadable_at: float | None = None
        self._lock = threading.Lock()

    def _file_defined(self, *, missing: str | None = None) -> dict[str, CodeSystem]:
        now = time.monotonic()
        stale = self._read_at is None or now - self._read_at > REFRESH_SECONDS
        unreadable = self._unreadable_at is not None and now - self._unreadable_at < REFRESH_SECONDS
        if (stale or (missing and missing not in self._defined)) and apps.ready and not unreadable:
            defined = _read_defined()
            with self._lock:
                if defined is None:  # tried again after REFRESH_SECONDS, not on every use
                    self._unreadable_at = now
                else:
                    self._defined, self._read_at, self._unreadable_at = defined, now, None
        return self._defined

    def forget(self) -> None:
        """Read the file-defined systems again at the next use (after a definition this process
        wrote, or rolled back)."""
        with self._lock:
            self._defined, self._read_at, self._unreadable_at = {}, None, None

    def __getitem__(self, name: str) -> CodeSystem:
        if name in self._packaged:
            return self._packaged[name]
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise KeyError(name)
        return self._file_defined(missing=name)[name]

    def __contains__(self, name) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self):
        yield from self._packaged
        yield from (name for name in self._file_defined() if name not in self._packaged)

    def __len__(self) -> int:
        return len(self._packaged) + len(
            [name for name in self._file_defined() if name not in self._packaged]
        )


def _read_defined() -> dict[str, CodeSystem] | None:
    """The file-defined systems in the read model, or None when it cannot be read: before
    `migrate`, with the database out of reach, or where no database may be used (a test of the
    fast tier, an async context). What was read before stays."""
    from codes.models import CodeSystemEntry  # the models import this module

    try:
        with transaction.atomic():  # a failing read must not break the caller's transaction
            rows = list(CodeSystemEntry.objects.order_by("name").values())
    except (DatabaseError, RuntimeError, SynchronousOnlyOperation):
        # RuntimeError: pytest-django's "Database access not allowed".
        return None
    return {row["name"]: defined_system(row) for row in rows}


SYSTEMS = Systems(PACKAGED_SYSTEMS)


def get_system(name: str) -> CodeSystem:
    try:
        return SYSTEMS[name]
    except KeyError:
        known = ", ".join(SYSTEMS)
        raise ValidationError(
            f"unknown code system {name!r} (known: {known})", code="system"
        ) from None
