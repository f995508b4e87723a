"""The Alphabetic Index's pages."""

from django.urls import path

from alphabetic_index import views

app_name = "alphabetic_index"

urlpatterns = [
    path("index/", views.index_home, name="home"),
    path("index/letters/<str:letter>", views.letter_page, name="letter"),
    path("index/terms/<int:n>", views.term_page, name="term"),
]
