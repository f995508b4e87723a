"""The names a main term of the Alphabetic Index goes by, which a query may name whole."""

from search.index_terms import term_names
from search.queries import term_name_forms


def test_a_main_term_is_named_by_its_title_and_its_alternative_forms():
    assert term_names("Diabetes, diabetic") == ["diabetes, diabetic", "diabetes", "diabetic"]
    assert term_names("Hiccup, hiccough") == ["hiccup, hiccough", "hiccup", "hiccough"]


def test_a_title_whose_parts_are_not_forms_of_one_word_is_one_name():
    assert term_names("Fracture, traumatic") == ["fracture, traumatic"]


def test_names_are_folded_and_lose_nos_and_nec():
    assert term_names("Pneumothorax NOS") == ["pneumothorax"]
    assert term_names("Ménière's disease") == ["meniere disease"]


def test_a_query_names_a_term_as_typed_or_without_a_plural_s():
    assert term_name_forms("Hiccups") == ["hiccups", "hiccup"]
    assert term_name_forms("abscess") == ["abscess"]
    assert term_name_forms("flu") == ["flu"]
