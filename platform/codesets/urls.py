"""The release change sets' pages, and the import of a code-set file."""

from django.urls import path

from codesets import upload, views

app_name = "codesets"

urlpatterns = [
    path("releases/", views.release_list, name="releases"),
    path("releases/import-file", upload.import_code_set_file, name="import-file"),
    path("releases/<uuid:release_id>/", views.release_page, name="release"),
    path("releases/<uuid:release_id>/approve-all", views.approve_all, name="release-approve-all"),
    path("releases/<uuid:release_id>/approve", views.approve_selected, name="release-approve"),
    path("releases/<uuid:release_id>/reject", views.reject_selected, name="release-reject"),
]
