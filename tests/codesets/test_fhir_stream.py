"""The streamed FHIR CodeSystem reader (codesets.readers.fhir_stream): the same concepts as the
whole-resource reader, whatever the order of a concept's elements, with ijson or without it;
a malformed resource named by its JSON path. No database."""

import io
import json
from pathlib import Path

import pytest

from codesets.readers import fhir_stream
from codesets.readers.fhir_json import MalformedCodeSystem, read_concepts, read_header
from codesets.readers.fhir_stream import CodeSystemStream

DATA = Path(__file__).parent / "data"
FIXTURES = ["custom_wound_care.json", "cpt_fixture.json", "licensed_fixture.json"]


def streamed(resource) -> tuple[dict, object]:
    stream = CodeSystemStream(io.BytesIO(json.dumps(resource).encode()))
    rows = {row.code: row for row in stream.rows()}
    return rows, stream.header


@pytest.fixture(params=["ijson", "json.load"])
def reader(request, monkeypatch):
    if request.param == "json.load":
        monkeypatch.setattr(fhir_stream, "ijson", None)
    return request.param


@pytest.mark.parametrize("name", FIXTURES)
def test_the_stream_reads_what_the_whole_resource_reader_reads(reader, name):
    resource = json.loads((DATA / name).read_text(encoding="utf-8"))
    rows, header = streamed(resource)
    assert rows == {row.code: row for row in read_concepts(resource)}
    assert header == read_header(resource)


def test_a_parent_whose_code_comes_after_its_children_is_still_their_parent(reader):
    resource = {
        "resourceType": "CodeSystem",
        "url": "https://example.org/order",
        "concept": [
            {
                "concept": [{"display": "FIXTURE child", "code": "C-1"}],
                "display": "FIXTURE parent",
                "code": "P",
            }
        ],
    }
    rows, _ = streamed(resource)
    assert (rows["C-1"].parent, rows["C-1"].path, rows["P"].parent) == (
        "P",
        "concept[0].concept[0]",
        "",
    )


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '{"resourceType": "ValueSet", "url": "u", "concept": []}',
            "resourceType: must be CodeSystem",
        ),
        ('{"resourceType": "CodeSystem", "url": "u", "concept": {}}', "concept: must be a list"),
        (
            '{"resourceType": "CodeSystem", "url": "u", "concept": [{"code": "A", "display": "a",'
            ' "concept": [7]}]}',
            "concept[0].concept[0]: a concept must be an object",
        ),
        ('[{"resourceType": "CodeSystem"}]', "resourceType: must be CodeSystem"),
    ],
)
def test_a_malformed_resource_is_named_by_its_json_path(reader, text, message):
    stream = CodeSystemStream(io.BytesIO(text.encode()))
    with pytest.raises(MalformedCodeSystem) as error:
        list(stream.rows())
    assert str(error.value) == message


def test_a_file_cut_short_is_not_json(reader):
    text = (DATA / "custom_wound_care.json").read_text(encoding="utf-8")[:200]
    with pytest.raises(MalformedCodeSystem, match=r"^not JSON \("):
        list(CodeSystemStream(io.BytesIO(text.encode())).rows())
