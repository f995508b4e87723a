"""The ICD-10-CM Alphabetic Index as official content: coders look a term up, follow its
subterms and "see" references, take the code it gives, then confirm it in the tabular list.

Modules: `readers` (the flattened CSV and the official XML), `resolution` (paths, references
followed to their codes, what a later release changes: pure), `tabular` (codes checked against
the tabular list in force), `events`, `domain` (which release is in force, decisions: pure),
`importing`, `actions` (approve, reject), `projector` and `models` (read models), `selectors`,
`views`, `api`; commands `index_import` and `index_release_decide`. Vendored data: `data/`.

Index releases (the design choice): a year's index is one *index release* with its own review,
not items of a code set's release change set. The index is not a field of a code: a third of
its entries lead to no code or only through references, it has its own hierarchy, and a code
set release diffs codes, so per-code items could neither show nor review an entry's path or
its references. So each release is its own stream `index:<release id>` (codes.streams): the
first index of a system is in force once imported (like a code set's first import, by the
system actor); a later year is recorded as *proposed* with its differences from the index in
force (entries added, removed, changed, by path), browsable (`/index/?release=<id>`) and listed
by the API, and a reviewer who did not import it approves it (it comes into force, and the
release it was compared with is superseded, in one atomic append to both streams) or rejects
it with a reason. The whole release is decided at once: an index is read as a whole, and half
of two years' indexes would send references into the other year's terms.
"""
