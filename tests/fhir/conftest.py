"""The FHIR service under a real FHIR client: fhirpy's sync client against pytest-django's live
server, every answer (errors included) validated with the R4 models of fhir.resources (its
R4B package: R4's terminology resources unchanged), and its HTTP status recorded.

The live server needs committed rows: these tests use `transactional_db` (live_server's own).
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import BaseFHIRError

from codeledger.domain import actor_for
from codeledger.elastic import elasticsearch_client
from codesets.actions import code_register
from events.projections import catch_up
from events.testing import catch_up_each
from fhir.resources.R4B import get_fhir_model_class
from review.actions import change_request_approve, change_request_submit
from search.documents import alias
from tests.conftest import make_user

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
REGISTERED_ON = date(2025, 10, 1)  # the codes below are in force from this day

ASTHMA_OLD = "Unspecified asthma, uncomplicated"
ASTHMA_NEW = "Asthma, unspecified, uncomplicated"
# Invented text for a CPT-shaped code: never the AMA's.
CPT_TEXT = "Zebrafinch calibration of the quuxometer, per hour"

CODES = {
    "J45": {"official_descriptor": "Asthma", "notes": {"excludes1": ["wheezing NOS (R06.2)"]}},
    "J45.9": {"official_descriptor": "Other and unspecified asthma", "parent": "J45"},
    "J45.90": {"official_descriptor": "Unspecified asthma", "parent": "J45.9"},
    "J45.909": {
        "official_descriptor": ASTHMA_OLD,
        "short_descriptor": "Unsp asthma, uncomplicated",
        "parent": "J45.90",
        "billable": True,
        "lay_terms": ["asthma attack"],
    },
    "E11": {"official_descriptor": "Type 2 diabetes mellitus"},
    "E11.9": {
        "official_descriptor": "Type 2 diabetes mellitus without complications",
        "parent": "E11",
        "billable": True,
        "lay_terms": ["sugar diabetes"],
    },
    "E11.8": {
        "official_descriptor": "Type 2 diabetes mellitus with unspecified complications",
        "parent": "E11",
        "billable": True,
    },
    "I21.4": {
        "official_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
        "billable": True,
    },
}


def register(system: str, codes: dict) -> None:
    for code, content in codes.items():
        code_register(
            system=system,
            code=code,
            content={"chapter": "Test chapter", **content},
            effective_from=REGISTERED_ON,
            source="test",
            release="FY2026",
        )


def approve(people, code: str, changes: dict, *, effective_from=None, system="icd10cm"):
    """A change an editor proposes and a reviewer approves, now."""
    written = change_request_submit(
        actor=actor_for(people["alice"]),
        system=system,
        code=code,
        base_version=1,
        changes=changes,
        rationale="test change",
        effective_from=effective_from,
    )
    change_request_approve(
        actor=actor_for(people["bob"]),
        change_id=written.change_request.change_id,
        expected_version=1,
    )


@pytest.fixture
def codes(transactional_db, people):
    register("icd10cm", CODES)
    register("cpt", {"99990": {"official_descriptor": CPT_TEXT, "billable": True}})
    catch_up_each("codes", "review", "codesets")


@pytest.fixture
def indexed(codes, es_namespace):
    """The codes in the search index too (for text filters)."""
    catch_up("search")
    elasticsearch_client().indices.refresh(index=alias())


@dataclass
class Exchange:
    """What the server answered last: HTTP status and body (validated)."""

    statuses: list = field(default_factory=list)
    bodies: list = field(default_factory=list)

    @property
    def status(self) -> int:
        return self.statuses[-1]

    @property
    def body(self) -> dict:
        return self.bodies[-1]


def validated(body: dict):
    """The body as its R4 model: any element R4 does not define, or a value of the wrong
    type, fails the test."""
    return get_fhir_model_class(body["resourceType"]).model_validate(body)


@pytest.fixture
def exchange():
    return Exchange()


@pytest.fixture
def fhir_client(live_server, exchange):
    """A client for anyone (no credentials); `fhir_client.with_key(key)` for an API key."""

    def record(response, *args, **kwargs):
        assert response.headers["Content-Type"].startswith("application/fhir+json"), (
            response.status_code,
            response.headers["Content-Type"],
        )
        body = response.json()
        validated(body)
        exchange.statuses.append(response.status_code)
        exchange.bodies.append(body)

    def client(authorization=None):
        return SyncFHIRClient(
            f"{live_server.url}/fhir",
            authorization=authorization,
            requests_config={"hooks": {"response": [record]}},
        )

    made = client()
    made.with_key = lambda key: client(f"Api-Key {key}")
    return made


def refused(call) -> BaseFHIRError:
    """The error fhirpy raised for a call the server refused."""
    with pytest.raises(BaseFHIRError) as error:
        call()
    return error.value


def parameter(body: dict, name: str):
    """The value of the first parameter `name` of a Parameters body."""
    for item in body["parameter"]:
        if item["name"] == name:
            return next(value for key, value in item.items() if key.startswith("value"))
    raise KeyError(name)


def properties(body: dict) -> list[tuple[str, object]]:
    """(code, value) of each property of a $lookup answer, in order."""
    found = []
    for item in body["parameter"]:
        if item["name"] == "property":
            parts = {part["name"]: part for part in item["part"]}
            value = next(v for k, v in parts["value"].items() if k.startswith("value"))
            found.append((parts["code"]["valueCode"], value))
    return found


def designations(body: dict) -> list[tuple[str, str]]:
    found = []
    for item in body["parameter"]:
        if item["name"] == "designation":
            parts = {part["name"]: part for part in item["part"]}
            found.append((parts["use"]["valueCoding"]["code"], parts["value"]["valueString"]))
    return found


@pytest.fixture
def people_with_cpt(transactional_db):
    """An organisation holding the CPT licence and one without, with an API key each."""
    from rest_framework_api_key.models import APIKey

    from accounts.models import Licence, Organisation, OrganisationApiKey

    holder = Organisation.objects.create(name="Licensed Clinic")
    Licence.objects.create(organisation=holder, system="cpt")
    other = Organisation.objects.create(name="Unlicensed Clinic")
    keys = {}
    for name, organisation in (("holder", holder), ("other", other)):
        key_object, keys[name] = APIKey.objects.create_key(name=name)
        OrganisationApiKey.objects.create(api_key=key_object, organisation=organisation)
    make_user("member")
    return keys
