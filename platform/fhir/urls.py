"""The FHIR R4 terminology service (under /fhir/)."""

app_name = "fhir"

urlpatterns = []
