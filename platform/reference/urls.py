"""The reference's pages."""

from django.urls import path

from reference import views

app_name = "reference"

urlpatterns = [
    path("codes/<str:system>/<str:code>", views.code_page, name="code"),
]
