"""The outbox stores each message once, with the change that caused it, and respects opt-outs."""

import pytest
from django.db import transaction

from core import outbox
from core.models import OutgoingEmail

pytestmark = pytest.mark.django_db


def message(number, *, kind="reminder", to=None):
    return outbox.Message(
        key=f"{kind}:{number}",
        kind=kind,
        to=to or f"member{number}@example.org",
        subject="Reading group tomorrow",
        text="Week 3: Grokking.",
    )


def test_a_key_is_queued_once():
    assert outbox.queue(**vars(message(1))) is not None
    assert outbox.queue(**vars(message(1))) is None
    outbox.queue_many([message(1), message(2), message(2)])
    assert sorted(OutgoingEmail.objects.values_list("key", flat=True)) == [
        "reminder:1",
        "reminder:2",
    ]


def change_that_fails():
    with transaction.atomic():
        outbox.queue(**vars(message(1)))
        raise RuntimeError("the change failed")


def test_a_rolled_back_change_queues_nothing():
    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not OutgoingEmail.objects.exists()


def test_an_address_that_opted_out_of_a_kind_gets_none_of_it_but_still_gets_others():
    outbox.opt_out(email=" Member1@Example.org ", kind="reminder")
    outbox.queue_many([message(1), message(2), message(1, kind="meeting-change")])
    assert sorted(OutgoingEmail.objects.values_list("key", flat=True)) == [
        "meeting-change:1",
        "reminder:2",
    ]
    outbox.opt_in(email="member1@example.org", kind="reminder")
    outbox.queue(**vars(message(1)))
    assert OutgoingEmail.objects.filter(key="reminder:1").exists()


def test_queueing_for_many_members_takes_a_bounded_number_of_queries(
    django_assert_max_num_queries,
):
    with django_assert_max_num_queries(3):
        outbox.queue_many([message(number) for number in range(500)])
    assert OutgoingEmail.objects.count() == 500
    assert set(OutgoingEmail.objects.values_list("state", flat=True)) == {"pending"}
