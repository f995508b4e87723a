from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self):
        from events.projections import register
        from search.projector import SearchProjector

        register(SearchProjector())
