"""Which code systems the index holds, and what to say when a code-like query names a system it
does not (`make run` loads ICD-10-CM only: "0DTJ4ZZ" is an ICD-10-PCS code, and finding nothing
for it without a word of why looked like a broken search)."""

from django.core.exceptions import ValidationError

from codeledger.elastic import elasticsearch_client
from codes.systems import SYSTEMS
from search.documents import alias
from search.queries import looks_like_code, normalised_code

# Examples of codes by system, for the search page: it names only systems the index holds.
CODE_EXAMPLES = {
    "icd10cm": ("I21.4", "i214"),
    "icd10pcs": ("0DTJ4ZZ",),
    "hcpcs": ("E0114",),
    "cpt": ("93017",),
}
NOTICE_NOT_LOADED = "systems_not_loaded"


def loaded_systems() -> list[str]:
    """The systems with at least one code in the index (in force or not, licensed or not: a
    system a caller may not read is loaded all the same), in SYSTEMS order."""
    response = elasticsearch_client().search(
        index=alias(),
        size=0,
        aggs={"systems": {"terms": {"field": "system", "size": len(SYSTEMS) + 10}}},
    )
    held = {bucket["key"] for bucket in response["aggregations"]["systems"]["buckets"]}
    return [name for name in SYSTEMS if name in held]


def code_examples(systems) -> list[str]:
    return [example for name in systems for example in CODE_EXAMPLES.get(name, ())]


def systems_of_code(q: str) -> list[str]:
    """The systems (custom codes aside: anything fits them) whose code format `q` has."""
    compact = "".join(q.split())
    fits = []
    for name, system in SYSTEMS.items():
        if name == "custom":
            continue
        try:
            system.display(compact)
        except ValidationError:
            continue
        fits.append(name)
    return fits


def not_loaded_notice(q: str, hits, *, system: str | None, hidden) -> dict | None:
    """For a code-like query whose code is not among the `hits`: the systems whose format it has
    that the index does not hold (those the caller may not read, `hidden`, are never named),
    as {kind, systems, message}; None when there is nothing to say. Asks Elasticsearch only
    then, so other searches cost nothing more."""
    if not looks_like_code(q):
        return None
    code = normalised_code(q)
    if any(getattr(hit, "normalised", None) == code for hit in hits):
        return None
    candidates = [name for name in systems_of_code(q) if name not in hidden]
    if system:
        candidates = [name for name in candidates if name == system]
    if not candidates:
        return None
    loaded = loaded_systems()
    missing = [name for name in candidates if name not in loaded]
    if not missing:
        return None
    labels = [SYSTEMS[name].label for name in missing]
    shown = [SYSTEMS[name].label for name in loaded if name not in hidden]
    message = (
        f"{q.strip()} looks like a{'n' if labels[0][0] in 'AEIOU' else ''} "
        f"{' or '.join(labels)} code, and {' and '.join(labels)} "
        f"{'is' if len(labels) == 1 else 'are'} not loaded here, so no such code can be found. "
        + (f"Loaded: {', '.join(shown)}." if shown else "No code system is loaded yet.")
    )
    return {"kind": NOTICE_NOT_LOADED, "systems": missing, "message": message}
