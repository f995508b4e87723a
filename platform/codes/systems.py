"""Code systems: how each validates a code, shows it, and normalises it (`I21.4` = `i214`)."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Attribution:
    """Where a content field's text comes from and under what terms (shown under each section
    of the code page and returned by the API with each field)."""

    source: str
    licence: str

    def line(self) -> str:
        return f"{self.source}. {self.licence}."


PUBLISHER = Attribution("Written by the CodeLedger editors", "© CodeLedger, all rights reserved")


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

    def display(self, raw: str) -> str:
        """The code as people write it; raises ValidationError when it is not a valid code."""
        compact = raw.strip().upper().replace(".", "") if self.dotted_after else raw.strip()
        if self.name != "custom":
            compact = compact.upper()
        if not self.pattern.fullmatch(compact):
            raise ValidationError(
                f"{raw!r} is not a valid {self.label} code ({self.format_hint})", code="code"
            )
        if self.dotted_after and len(compact) > self.dotted_after:
            return f"{compact[: self.dotted_after]}.{compact[self.dotted_after :]}"
        return compact

    def normalise(self, raw: str) -> str:
        """The search form: lowercase, no punctuation."""
        return self.display(raw).replace(".", "").lower()


SYSTEMS = {
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
        ),
        CodeSystem(
            "icd10pcs",
            "ICD-10-PCS",
            re.compile(r"[0-9A-HJ-NP-Z]{7}"),
            "7 letters or digits without I or O, e.g. 0DTJ4ZZ",
            official=Attribution(
                "ICD-10-PCS, Centers for Medicare & Medicaid Services (CMS)", "Public domain"
            ),
        ),
        CodeSystem(
            "hcpcs",
            "HCPCS Level II",
            re.compile(r"[A-Z][0-9]{4}"),
            "a letter and 4 digits, e.g. E0114",
            official=Attribution(
                "HCPCS Level II, Centers for Medicare & Medicaid Services (CMS)", "Public domain"
            ),
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
            # Every text about a CPT code: even a plain-language paraphrase retells the AMA's.
            restricted_fields=frozenset(
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
            ),
        ),
        CodeSystem(
            "custom",
            "Custom",
            re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}"),
            "1 to 20 letters, digits, dots, dashes or underscores",
            official=Attribution("A custom code set", "Terms of its owner"),
        ),
    )
}


def get_system(name: str) -> CodeSystem:
    try:
        return SYSTEMS[name]
    except KeyError:
        known = ", ".join(SYSTEMS)
        raise ValidationError(
            f"unknown code system {name!r} (known: {known})", code="system"
        ) from None
