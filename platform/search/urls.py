"""The search pages."""

from django.urls import path

from search import views

urlpatterns = [
    path("search", views.search_page, name="search"),
    path("search/suggest", views.suggest, name="search-suggest"),
]
