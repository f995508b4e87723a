"""The FHIR R4 terminology service (under /fhir/): docs/fhir.md."""

from django.urls import path, re_path

from fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("CodeSystem", views.CodeSystemSearchView.as_view(), name="codesystem-search"),
    path("CodeSystem/$lookup", views.LookupView.as_view(), name="lookup"),
    path(
        "CodeSystem/$validate-code",
        views.CodeSystemValidateCodeView.as_view(),
        name="codesystem-validate-code",
    ),
    path("CodeSystem/$subsumes", views.SubsumesView.as_view(), name="subsumes"),
    path("CodeSystem/<str:id>", views.CodeSystemReadView.as_view(), name="codesystem"),
    path("ValueSet/$expand", views.ExpandView.as_view(), name="expand"),
    path(
        "ValueSet/$validate-code",
        views.ValueSetValidateCodeView.as_view(),
        name="valueset-validate-code",
    ),
    re_path(r"^.*$", views.not_found, name="not-found"),
]
