"""People in each role, API clients, and a real code to work on."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from editorial.services import code_register

I21_4 = {
    "official_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
    "short_descriptor": "Non-ST elevation (NSTEMI) myocardial infarction",
    "common_description": "A heart attack in which the ECG shows no ST-segment elevation.",
    "chapter": "Diseases of the circulatory system (I00-I99)",
    "block": "Ischemic heart diseases (I20-I25)",
    "parent": "I21",
    "billable": True,
    "notes": {"inclusion_terms": ["Non-Q wave myocardial infarction NOS"]},
    "lay_terms": ["heart attack"],
}


def make_user(username, *roles, superuser=False):
    user = User.objects.create_user(
        username, password="pw-" + username, is_superuser=superuser, is_staff=superuser
    )
    for role in roles:
        # get_or_create: transactional tests flush the groups the migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def people(db):
    return {
        "alice": make_user("alice", "editor"),
        "eve": make_user("eve", "editor"),
        "bob": make_user("bob", "reviewer"),
        "carol": make_user("carol", "reviewer"),
        "audrey": make_user("audrey", "auditor"),
        "root": make_user("root", superuser=True),
        "nobody": make_user("nobody"),
    }


@pytest.fixture
def as_user(people):
    def client_for(name):
        client = APIClient()
        if name != "anonymous":
            client.force_authenticate(people[name])
        return client

    return client_for


@pytest.fixture
def nstemi(db):
    """ICD-10-CM I21.4, registered as the initial import would (version 1)."""
    return code_register(
        system="icd10cm", code="I21.4", content=I21_4, source="test", release="FY2025"
    )
