from django.urls import path

from search import api

app_name = "search-api"

urlpatterns = [
    path("codes/search", api.SearchView.as_view(), name="search"),
    path("codes/suggest", api.SuggestView.as_view(), name="suggest"),
    path("codes/lookup", api.LookupView.as_view(), name="lookup"),
]
