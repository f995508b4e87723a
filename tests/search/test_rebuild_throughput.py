"""What the faster rebuild keeps: the documents' text folded exactly as before, a slow node
treated as a wait (not the event's fault), and the new index back on its default settings
once it is behind the alias."""

import pytest
from elasticsearch import ConnectionTimeout

from codeledger.elastic import elasticsearch_client
from events.projections import get_projector, rebuild
from search.accents import strip_accents
from search.documents import _fold, alias, word_starts

from .conftest import register_codes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "text",
    [
        "Acute bronchitis",
        "Crohn's disease",  # an apostrophe: the possessive goes
        "Behçet\u2019s disease",  # accents and a typographic apostrophe
        "Sézary syndrome",
        "Rock'n roll",
        "",
    ],
)
def test_the_shortcut_folds_text_as_strip_accents_does(text):
    assert _fold(text) == strip_accents(text)


def test_word_starts_are_the_first_4_to_10_letters_of_each_long_word_once():
    assert word_starts(["Sézary's pneumonia", "Pneumonia"]) == [
        "pneu",
        "pneum",
        "pneumo",
        "pneumon",
        "pneumoni",
        "pneumonia",
        "seza",
        "sezar",
        "sezary",
    ]


def test_a_timeout_of_the_node_is_transient():
    assert get_projector("search").is_transient(ConnectionTimeout("timed out"))


def test_the_rebuilt_index_is_behind_the_alias_with_default_refresh_and_translog(es_namespace):
    register_codes()

    rebuild("search")

    client = elasticsearch_client()
    (name,) = client.indices.get_alias(name=alias())
    settings = client.indices.get_settings(index=name, flat_settings=True)[name]["settings"]
    assert (
        settings.get("index.refresh_interval"),
        settings.get("index.translog.durability"),
    ) == (None, None)
    assert client.count(index=alias())["count"] > 0
