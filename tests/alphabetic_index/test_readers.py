"""Reading the index files: the flattened CSV and the official XML (no database)."""

import gzip
import shutil

import pytest

from alphabetic_index.readers import (
    DRUGS,
    EXTERNAL_CAUSES,
    NEOPLASMS,
    IndexFileError,
    SourceEntry,
    format_of,
    in_book,
    read_csv,
    read_entries,
    read_table_xml,
    read_xml,
    release_year,
)

from .conftest import (
    DRUG_XML,
    EXTERNAL_XML,
    NEOPLASM_XML,
    NEXT_YEAR_XML,
    SAMPLE_CSV,
    SAMPLE_XML,
)

XSD = SAMPLE_CSV.parents[3] / "platform" / "alphabetic_index" / "data" / "icd10cm-index-2025.xsd"
HEADER = "RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code\n"


def test_the_csv_gives_entries_in_document_order_with_modifiers_references_and_codes():
    entries = list(read_csv(SAMPLE_CSV))
    assert len(entries) == 33
    assert entries[0] == SourceEntry("A", 0, "Abrasion", code="T14.8")
    assert entries[1] == SourceEntry(
        "A", 1, "abdomen, abdominal", modifiers="(wall)", code="S30.811"
    )
    bedwetting = next(e for e in entries if e.title == "Bedwetting")
    assert (bedwetting.see, bedwetting.code) == ("Enuresis", "")
    assert next(e for e in entries if e.title == "Legg").code == "M91.1-"


def test_the_official_xml_of_the_same_entries_reads_the_same_as_the_csv():
    assert list(read_xml(SAMPLE_XML)) == list(read_csv(SAMPLE_CSV))


def test_a_title_with_a_modifier_inside_keeps_its_words_and_gives_the_modifier_apart(tmp_path):
    path = tmp_path / "index.xml"
    path.write_text(
        "<ICD10CM.index><version>2026</version><letter><title>A</title><mainTerm>"
        "<title>Abandonment<nemod>(causing exposure to weather conditions)</nemod> NEC</title>"
        "<code>X58</code>"
        '<term level="1"><title>lightning</title><subcat>T75.0</subcat></term>'
        '<term level="1"><title>in bed linen</title><seecat>T71</seecat></term>'
        '<term level="1"><title>amyloid heart</title><code>E85.4</code><manif>I43</manif></term>'
        "</mainTerm></letter></ICD10CM.index>"
    )
    main, lightning, linen, heart = read_xml(path)
    assert (main.title, main.modifiers, main.code) == (
        "Abandonment NEC",
        "(causing exposure to weather conditions)",
        "X58",
    )
    assert (lightning.level, lightning.see) == (1, "subcategory T75.0")
    assert linen.see == "category T71"
    assert (heart.code, heart.manifestation) == ("E85.4", "I43")


def test_gzipped_files_are_read_and_the_format_comes_from_the_name(tmp_path):
    for source in (SAMPLE_CSV, SAMPLE_XML):
        packed = tmp_path / f"{source.name}.gz"
        with open(source, "rb") as plain, gzip.open(packed, "wb") as out:
            shutil.copyfileobj(plain, out)
        assert format_of(packed) == source.suffix[1:]
        assert list(read_entries(packed)) == list(read_csv(SAMPLE_CSV))


def test_the_release_year_comes_from_the_xml_version_or_the_file_name():
    assert release_year(NEXT_YEAR_XML) == "2026"
    assert release_year(SAMPLE_CSV) == "2025"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("1,A,1,orphan,,,,R32\n", "level 1 cannot follow level -1"),
        ("1,A,0,Enuresis,,,,R32\n2,A,2,too deep,,,,N39.44\n", "line 3: level 2 cannot follow"),
        ("1,a,0,Enuresis,,,,R32\n", "the letter must be one of A to Z"),
        ("1,A,0,,,,,R32\n", "line 2: an entry without a title"),
        ("1,A,zero,Enuresis,,,,R32\n", "the level is not a number"),
        ("1,A,0,Enuresis,,,R32\n", "7 columns, expected 8"),
    ],
)
def test_a_malformed_csv_is_refused_naming_the_line(tmp_path, rows, message):
    path = tmp_path / "index.csv"
    path.write_text(HEADER + rows)
    with pytest.raises(IndexFileError, match=message):
        list(read_csv(path))


def test_a_file_that_is_not_an_index_is_refused(tmp_path):
    csv_path, xml_path = tmp_path / "codes.csv", tmp_path / "codes.xml"
    csv_path.write_text("code,title\nR32,Enuresis\n")
    xml_path.write_text("<ICD10CM.tabular/>")
    with pytest.raises(IndexFileError, match="the header must be"):
        list(read_csv(csv_path))
    with pytest.raises(IndexFileError, match=r"root element is <ICD10CM.tabular>"):
        list(read_xml(xml_path))
    with pytest.raises(IndexFileError, match="cannot tell the format"):
        format_of(tmp_path / "index.txt")


def test_the_xml_samples_are_valid_against_the_official_schema():
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(XSD)
    for path in (SAMPLE_XML, NEXT_YEAR_XML):
        schema.validate(path)


def test_an_addenda_title_reads_as_its_new_text(tmp_path):
    path = tmp_path / "addenda.xml"
    path.write_text(
        '<ICD10CM.index isAddenda="true"><letter><title>A</title><mainTerm>'
        "<diff><unc>Abasia</unc><old> (-astasia)</old><new> hysterical</new></diff>"
        "<code>F44.4</code></mainTerm></letter></ICD10CM.index>"
    )
    (entry,) = read_xml(path)
    assert (entry.title, entry.code) == ("Abasia hysterical", "F44.4")


# --- the other books ---------------------------------------------------------------------------


def test_a_drug_table_row_gives_one_subterm_per_column_with_a_code():
    entries = list(read_table_xml(DRUG_XML, DRUGS))
    wasp = entries.index(SourceEntry("W", 0, "Wasp (sting)", book=DRUGS))
    assert entries[wasp + 1 : wasp + 5] == [
        SourceEntry("W", 1, title, code=code, book=DRUGS)
        for title, code in [
            ("poisoning, accidental (unintentional)", "T63.461"),
            ("poisoning, intentional self-harm", "T63.462"),
            ("poisoning, assault", "T63.463"),
            ("poisoning, undetermined", "T63.464"),
        ]
    ]  # "--" (no adverse effect, no underdosing code) gives no entry
    assert entries[wasp + 5] == SourceEntry("W", 0, "Water", book=DRUGS)
    assert entries[0] == SourceEntry("#", 0, "14-hydroxydihydro-morphinone", book=DRUGS)
    assert entries[6] == SourceEntry("#", 1, "underdosing", code="T40.2X6", book=DRUGS)
    assert [e.level for e in entries[-8:]] == [0, 1, *[2] * 6]  # Water, balance drug, cells


def test_a_neoplasm_table_row_maps_its_columns_to_behaviour_codes():
    entries = list(read_table_xml(NEOPLASM_XML, NEOPLASMS))
    lung = entries.index(SourceEntry("N", 1, "lung", book=NEOPLASMS))
    assert [(e.level, e.title, e.code) for e in entries[lung + 1 : lung + 8]] == [
        (2, "malignant primary", "C34.9-"),
        (2, "malignant secondary", "C78.0-"),
        (2, "ca in situ", "D02.2-"),
        (2, "benign", "D14.3-"),
        (2, "uncertain behavior", "D38.1"),
        (2, "unspecified behavior", "D49.1"),
        (2, "azygos lobe", ""),
    ]
    assert entries[lung + 7].see == "Neoplasm, lung, upper lobe"
    # "-" (no uncertain or unspecified behaviour code for the hilus) gives no entry
    assert [e.title for e in entries[lung + 9 :]] == [
        "malignant primary",
        "malignant secondary",
        "ca in situ",
        "benign",
    ]


def test_the_external_cause_index_is_read_as_the_index_to_diseases_is():
    entries = list(in_book(read_xml(EXTERNAL_XML), EXTERNAL_CAUSES))
    assert entries == [
        SourceEntry("S", 0, "Sting", book=EXTERNAL_CAUSES),
        SourceEntry("S", 1, "insect, nonvenomous", code="W57", book=EXTERNAL_CAUSES),
        SourceEntry("S", 0, "Stung", see="Sting", book=EXTERNAL_CAUSES),
    ]


def test_an_index_file_is_not_a_table(tmp_path):
    with pytest.raises(IndexFileError, match="not a table"):
        list(read_table_xml(SAMPLE_XML, DRUGS))
    broken = tmp_path / "drug.xml"
    broken.write_text(DRUG_XML.read_text().replace('<cell col="7">--', '<cell col="9">--'))
    with pytest.raises(IndexFileError, match="a cell of no column 9"):
        list(read_table_xml(broken, DRUGS))


@pytest.mark.parametrize("sample", [DRUG_XML, NEOPLASM_XML])
def test_the_table_samples_follow_the_official_schema(sample):
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(XSD.with_name("icd-10-cm-drug-neoplasm-2025.xsd")).validate(sample)


def test_the_external_cause_sample_follows_the_index_schema():
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(XSD).validate(EXTERNAL_XML)


def test_a_table_row_keeps_its_modifiers_where_they_are_printed(tmp_path):
    path = tmp_path / "drug.xml"
    path.write_text(
        DRUG_XML.read_text().replace(
            "<title>Water</title>", "<title>Insect<nemod>(sting)</nemod>, venomous</title>"
        )
    )
    titles = [e.title for e in read_table_xml(path, DRUGS) if e.level == 0]
    assert titles == ["14-hydroxydihydro-morphinone", "Wasp (sting)", "Insect (sting), venomous"]
