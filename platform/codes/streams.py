"""The names of the event streams: the one place they are spelled.

They are stored in every log (and in exports and digests), so they never change:
`code:<system>:<code as displayed>`, `change:<uuid>`, `release:<uuid>`, `index:<uuid>`,
`section:<system>:<chapter or block>`, `glossary:<term>`, `codesystem:<name>`.
"""

from codes.systems import get_system

CODE, CHANGE, RELEASE, INDEX = "code", "change", "release", "index"
SECTION, GLOSSARY = "section", "glossary"
CODE_SYSTEM = "codesystem"


def code_stream(system: str, code: str) -> str:
    """The event stream of a code entry, e.g. `code:icd10cm:I21.4` (the code is validated)."""
    return f"{CODE}:{system}:{get_system(system).display(code)}"


def code_of_stream(stream: str) -> tuple[str, str]:
    """(system, code) of a code stream's name."""
    kind, system, code = stream.split(":", 2)
    if kind != CODE:
        raise ValueError(f"not a code stream: {stream!r}")
    return system, code


def system_streams_prefix(system: str) -> str:
    """What the names of every code stream of `system` start with."""
    return f"{CODE}:{system}:"


def change_stream(change_id) -> str:
    return f"{CHANGE}:{change_id}"


def release_stream(release_id) -> str:
    return f"{RELEASE}:{release_id}"


def index_stream(release_id) -> str:
    """The stream of one release of a system's Alphabetic Index (alphabetic_index.events)."""
    return f"{INDEX}:{release_id}"


def section_stream(system: str, section: str) -> str:
    """The stream of a chapter or block of a code system and its notes, e.g.
    `section:icd10cm:S70-S79` or `section:icd10cm:19` (a chapter, by its number)."""
    return f"{SECTION}:{system}:{section}"


def section_streams_prefix(system: str) -> str:
    """What the names of every section stream of `system` start with."""
    return f"{SECTION}:{system}:"


def glossary_stream(term: str) -> str:
    """The stream of one glossary term (knowledge app), by its normalised spelling, e.g.
    `glossary:closed fracture`."""
    return f"{GLOSSARY}:{term}"


def code_system_stream(name: str) -> str:
    """The stream of a code system defined by an imported file, e.g. `codesystem:wound-care`
    (codes.system_definitions)."""
    return f"{CODE_SYSTEM}:{name}"
