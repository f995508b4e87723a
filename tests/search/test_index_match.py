"""Which Alphabetic Index entry a hit shows as the reason it matched ("Index: ...")."""

from search.api import index_match
from search.queries import respelled


def test_the_entry_that_names_the_query_is_shown_before_a_shorter_one_that_holds_it():
    marks = {
        "index_terms": [
            "IgE <mark>asthma</mark>",
            "<mark>Asthma</mark>, asthmatic (bronchial) (catarrh) (spasmodic)",
        ]
    }
    assert index_match(marks) == "<mark>Asthma</mark>, asthmatic (bronchial) (catarrh) (spasmodic)"


def test_the_entry_the_query_marks_most_comes_first():
    marks = {
        "index_terms": [
            "<mark>Aspiration</mark>, bronchitis",
            "<mark>Pneumonia</mark>, <mark>aspiration</mark>",
        ]
    }
    assert index_match(marks) == "<mark>Pneumonia</mark>, <mark>aspiration</mark>"


def test_no_index_highlight_no_reason():
    assert index_match({"title": ["<mark>Asthma</mark>"]}) is None


def test_a_rescued_query_is_respelled_from_the_words_of_its_first_hit():
    assert respelled("numonia", ["Congenital", "pneumonia"]) == "pneumonia"
    assert respelled("sorisis arthritis", ["Arthropathic", "psoriasis"]) == "psoriasis arthritis"
    assert respelled("xqzvbn", ["Psoriasis"]) is None
