"""Readers of bring-your-own code-set files (FHIR CodeSystem JSON, CSV) into `ConceptRow`s:
pure, no database, so both the importer (codesets.files) and the FHIR app can use them."""
