"""Accent stripping in Python, for indexed text and queries alike (Sézary = Sezary).

The minimal Elasticsearch node has no asciifolding filter (it lives in the analysis-common
module), so the same folding runs here on both sides instead. Possessives go too ("Behçet's" =
"Behcet" = "behcet"): the standard tokenizer keeps "behcet's" as one token, which a query
without the apostrophe would otherwise miss.
"""

import re
import unicodedata

POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")


def strip_accents(text: str) -> str:
    if text.isascii():  # most text: nothing to decompose (and a per-character walk is slow)
        return POSSESSIVE.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = POSSESSIVE.sub("", stripped)
    return (
        stripped.replace("ß", "ss")
        .replace("æ", "ae")
        .replace("Æ", "AE")
        .replace("ø", "o")
        .replace("Ø", "O")
    )
