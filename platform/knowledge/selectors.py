"""Reads of the glossary read model."""

from knowledge.models import GlossaryTerm


def glossary_terms(*, include_pending: bool = False):
    """Approved terms (with their source), and, for editorial staff, terms whose proposal is
    waiting or was rejected, alphabetically."""
    rows = GlossaryTerm.objects.order_by("term")
    return rows if include_pending else rows.exclude(plain="")
