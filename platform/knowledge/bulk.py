"""Facts for every code of a system at once, from contents held in memory: what
`bench/explanations.py` times (all of ICD-10-CM) and what the tests check on the real tabular.

`knowledge.explain` reads one code's facts from the read models; this reads them for all codes
from one mapping, with the same rules: neighbours are the codes of the same category one
character away, children the codes whose parent is the code, notes those of the code and its
parent codes, then its block's and its chapter's (nearest first, each once), as
`codes.selectors.applicable_notes` lists them.
"""

from collections.abc import Iterator

from codes.content import NOTE_KINDS
from codes.sections import SectionState, block_of
from codes.selectors import MAX_ANCESTORS
from knowledge.explanation import Facts


def _masks(code: str) -> Iterator[str]:
    """The code with one character after its category hidden: "S72.0*1A", ... ."""
    for i in range(4, len(code)):
        yield f"{code[:i]}*{code[i + 1 :]}"


class Contents:
    """Every code's content (code in display form -> content dict), indexed for facts."""

    def __init__(
        self,
        system: str,
        contents: dict[str, dict],
        *,
        sections: dict[str, SectionState] | None = None,
        glossary=None,
        index=None,
    ):
        self.system, self.contents = system, contents
        self.sections = sections or {}  # by name: "S70-S79", "19"
        self.glossary = dict(glossary or {})
        self.index = index or {}  # code -> Alphabetic Index paths leading to it
        self.by_mask: dict[str, list[str]] = {}
        self.children: dict[str, list[str]] = {}
        for code in sorted(contents):
            for mask in _masks(code):
                self.by_mask.setdefault(mask, []).append(code)
            parent = contents[code].get("parent")
            if parent:
                self.children.setdefault(parent, []).append(code)

    def notes(self, code: str) -> list[dict]:
        lineage, seen_codes = [], set()
        while code and code in self.contents and code not in seen_codes:
            if len(lineage) > MAX_ANCESTORS:
                break
            seen_codes.add(code)
            lineage.append((code, self.contents[code]))
            code = (self.contents[code].get("parent") or "").strip()
        origins = [(code, "code", content.get("notes") or {}) for code, content in lineage]
        block = self.sections.get(block_of(lineage[0][1].get("block", "")) if lineage else "")
        if block is not None:
            origins.append((block.label, block.level, block.notes))
            chapter = self.sections.get(block.chapter)
            if chapter is not None:
                origins.append((chapter.label, chapter.level, chapter.notes))
        found, seen = [], set()
        for kind in NOTE_KINDS:
            for written_on, level, notes in origins:
                for text in notes.get(kind, []):
                    if (kind, text) not in seen:
                        seen.add((kind, text))
                        found.append(
                            {"kind": kind, "text": text, "from": written_on, "level": level}
                        )
        return found

    def facts(self, code: str) -> Facts:
        content = self.contents[code]
        neighbours = {
            other for mask in _masks(code) for other in self.by_mask[mask] if other != code
        }
        return Facts(
            system=self.system,
            code=code,
            descriptor=content.get("official_descriptor", ""),
            chapter=content.get("chapter", ""),
            block=content.get("block", ""),
            billable=bool(content.get("billable")),
            notes=tuple(self.notes(code)),
            index_paths=tuple(self.index.get(code, ())),
            neighbours=tuple(
                (other, self.contents[other].get("official_descriptor", ""))
                for other in sorted(neighbours)
            ),
            children=tuple(
                (child, self.contents[child].get("official_descriptor", ""))
                for child in self.children.get(code, ())
            ),
            glossary=self.glossary,
        )
