"""Two tabs open two new codes at once with one view left: exactly one is granted (real
PostgreSQL, one connection per thread, both started together at a barrier)."""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.meter import GUEST_COOKIE, meter_page_view, remember_guest
from accounts.models import MeterView
from tests.conftest import make_user

ROUNDS = 5


def guest_cookie(guest_id: str) -> str:
    response = HttpResponse()
    remember_guest(response, type("R", (), {"guest_id": guest_id})())
    return response.cookies[GUEST_COOKIE].value


def request_as(user, cookie=None, address="192.0.2.10"):
    request = RequestFactory().get("/codes/x", REMOTE_ADDR=address)
    if cookie:
        request.COOKIES[GUEST_COOKIE] = cookie
    request.user = user
    return request


def race(make_request, items):
    """Each item opened by its own thread (own connection) at the same moment."""
    barrier = threading.Barrier(len(items))
    results, errors = [], []

    def open_page(item):
        try:
            request = make_request()
            barrier.wait(timeout=10)
            results.append(meter_page_view(request, item=item).allowed)
        except Exception as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_page, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_guest_with_one_view_left_gets_exactly_one_of_two_parallel_pages(round_):
    cookie = guest_cookie(f"racing-guest-{round_:02d}-xxxxxxxx")
    results = race(lambda: request_as(AnonymousUser(), cookie), ["icd10cm:A00.0", "icd10cm:A00.1"])
    assert sorted(results) == [False, True]
    assert MeterView.objects.values("item").distinct().count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_reader_with_one_view_left_gets_exactly_one_of_two_parallel_pages(round_, settings):
    settings.METER_GUEST_VIEWS, settings.METER_REGISTERED_EXTRA_VIEWS = 1, 1
    user = make_user(f"racer{round_}")
    first = meter_page_view(request_as(user), item="icd10cm:A00.0")
    assert first.allowed and first.remaining == 1
    results = race(lambda: request_as(user), ["icd10cm:A01.0", "icd10cm:A01.1"])
    assert sorted(results) == [False, True]
    assert MeterView.objects.filter(key=f"user:{user.pk}").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_new_page_in_two_tabs_costs_one_view():
    cookie = guest_cookie("same-page-guest-xxxxxxxx")
    results = race(
        lambda: request_as(AnonymousUser(), cookie),
        ["icd10cm:A00.0", "icd10cm:A00.0"],
    )
    assert results == [True, True]  # the second tab re-opens what the first opened
    assert MeterView.objects.values("item").distinct().count() == 1
