"""The checks app's pages."""

from django.urls import path

from checks import views

app_name = "checks"

urlpatterns = [
    path("check", views.check_page, name="check"),
]
