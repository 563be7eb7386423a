"""How long supervision records are kept, and what a reviewer's decision does."""

import datetime as dt

import pytest
from django.utils import timezone

from incidents.timeline import child_timeline
from records import retention
from records.models import RetentionReview
from records.retention import ANONYMISED
from supervision import services
from supervision.models import ChildDiscussed, SupervisionAction, SupervisionSession
from supervision.services import ActionAgreed, Discussion
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def review_of(obj) -> RetentionReview:
    return RetentionReview.objects.get(object_type=obj._meta.label_lower, object_id=str(obj.pk))


@pytest.fixture
def session(organisation, dana, alice) -> SupervisionSession:
    today = timezone.localdate()
    child = ChildFactory(organisation=organisation, date_of_birth=today - dt.timedelta(days=3650))
    return services.session_record(
        by=dana,
        supervisor=dana,
        supervisee=alice,
        held_on=today,
        notes="Alice is tired.",
        discussions=[Discussion(child=child, discussed="Worried about a chat.", agreed="Call.")],
        actions=[ActionAgreed(owner=alice, what="Call Noor's mum", due_on=today)],
    )


def test_a_childs_discussion_is_reviewed_when_the_child_turns_25(session, dana):
    discussion = session.children_discussed.get()
    born = discussion.child.date_of_birth
    retention.queue_reviews(
        organisation=session.organisation, today=born + dt.timedelta(days=365 * 24)
    )
    assert not RetentionReview.objects.filter(kind="supervision_discussions").exists()
    retention.queue_reviews(
        organisation=session.organisation, today=born + dt.timedelta(days=365 * 25 + 7)
    )
    review = review_of(discussion)
    assert review.child == discussion.child
    retention.review_anonymise(review=review, by=dana, reason="The child is 25.")
    discussion = ChildDiscussed.objects.get(pk=discussion.pk)
    assert (discussion.discussed, discussion.agreed) == (ANONYMISED, ANONYMISED)
    texts = [item.text for item in child_timeline(discussion.child) if item.source == "Supervision"]
    assert texts == [f"{ANONYMISED}\nAgreed: {ANONYMISED}"]


def test_the_notes_are_anonymised_after_six_years(session, dana):
    retention.queue_reviews(
        organisation=session.organisation, today=session.held_on + dt.timedelta(days=365 * 6 + 2)
    )
    review = review_of(session)
    retention.review_anonymise(review=review, by=dana, reason="Six years on.")
    session = SupervisionSession.objects.get(pk=session.pk)
    assert session.notes == ANONYMISED
    (action,) = SupervisionAction.objects.filter(session=session)
    assert action.what == ANONYMISED
    assert set(action.history.values_list("what", flat=True)) == {ANONYMISED}
    # What was said about the child is the child's record, kept on its own clock.
    assert session.children_discussed.get().discussed == "Worried about a chat."
