"""The FHIR R4 terminology service (docs/fhir.md).

The app's name is also that of the `fhir` namespace which the `fhir.resources` library (its R4
models) installs into: the stdlib's extend_path lets both live under one name, so `fhir.views`
is this app and `fhir.resources` the library.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
