"""The knowledge app's pages."""

from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("glossary", views.glossary_page, name="glossary"),
    path("glossary/propose", views.glossary_propose, name="propose"),
    path("glossary/<str:term>/approve", views.glossary_approve, name="approve"),
    path("glossary/<str:term>/reject", views.glossary_reject, name="reject"),
]
