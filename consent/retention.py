"""How long consent records are kept, and how a reviewer's
decision anonymises or deletes one (see records.retention)."""

import datetime as dt
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta
from django.db.models import Q

from accounts.models import Organisation
from children.models import Child, Guardian
from common.registry import RECORD_KINDS, SUBJECT_ACCESS_SOURCES
from consent.models import ConsentRecord, MediaUse, MediaUsePlace, TakedownTask
from records.retention import ANONYMISED, Due, RecordKind, delete_file_after_commit, object_locator
from records.subject_access import Source


def _consent_records_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    """Only for a discharged child: the period runs from the later of the
    discharge and the consent's end."""
    records = ConsentRecord.objects.filter(
        organisation=organisation,
        child__discharged_on__isnull=False,
        child__discharged_on__lte=today - relativedelta(months=months),
    ).select_related("child", "consent_type")
    for record in records:
        discharged_on = record.child.discharged_on
        if discharged_on is None:  # the query excludes it
            continue
        ended = max(discharged_on, record.valid_until or discharged_on)
        due_on = ended + relativedelta(months=months)
        if due_on <= today:
            yield Due(
                obj=record,
                due_on=due_on,
                child=record.child,
                description=f"Consent record #{record.pk}: {record.get_decision_display().lower()}"
                f" {record.consent_type.name.lower()}, {record.recorded_at:%-d %b %Y}",
            )


def _consent_record_anonymise(record: ConsentRecord) -> None:
    if record.evidence_file:
        delete_file_after_commit(record.evidence_file)
        record.evidence_file = ""
    record.typed_name = ANONYMISED
    record.relationship = record.signature_png = record.user_agent = record.notes = ""
    record.ip_address = None
    record.save()


def _consent_record_delete(record: ConsentRecord) -> str:
    what = f"consent record #{record.pk}"
    TakedownTask.objects.filter(record=record).delete()
    if record.evidence_file:
        delete_file_after_commit(record.evidence_file)
    record.delete()
    return what


def _media_uses_due(organisation: Organisation, months: int, today: dt.date) -> Iterator[Due]:
    """A use still in print or online is where a photo is now, so its entry is kept
    until it comes down; one in the organisation's own records runs from the use."""
    cutoff = today - relativedelta(months=months)
    uses = MediaUse.objects.filter(organisation=organisation).filter(
        Q(removed_on__lte=cutoff)
        | Q(removed_on__isnull=True, where=MediaUsePlace.RECORDS, used_on__lte=cutoff)
    )
    for use in uses.select_related("child"):
        start = use.removed_on or use.used_on
        yield Due(
            obj=use,
            due_on=start + relativedelta(months=months),
            child=use.child,
            description=f"Media use #{use.pk}: {use.get_kind_display().lower()} in "
            f"{use.get_where_display().lower()}, {use.used_on:%-d %b %Y}",
        )


def _media_use_anonymise(use: MediaUse) -> None:
    use.description = ANONYMISED
    use.reason_if_not_allowed = ANONYMISED if use.reason_if_not_allowed else ""
    use.save(update_fields=["description", "reason_if_not_allowed"])


def _media_use_delete(use: MediaUse) -> str:
    what = f"media use #{use.pk}"
    use.delete()
    return what


def _child_of(obj: ConsentRecord | MediaUse) -> tuple[list[int], int | None]:
    return [obj.child_id], None


CONSENT_RECORDS = RecordKind(
    code="consent_records",
    label="Consent records",
    basis="A parent's consent is evidence of what staff were allowed to do; it is kept for "
    "three years after the child leaves or the consent ends, whichever is later.",
    period="after discharge or the consent's end, whichever is later",
    default_months=36,
    safeguarding=False,
    due=_consent_records_due,
    anonymise=_consent_record_anonymise,
    delete=_consent_record_delete,
    locate=object_locator(ConsentRecord),
    subjects=_child_of,
)


MEDIA_USES = RecordKind(
    code="media_uses",
    label="Uses of children's photos, video and names",
    basis="Where a child's photo, video or name was used is kept for three years after it "
    "was taken down (or, in our own records, after the use), to answer a parent's question "
    "or complaint about it.",
    period="from the removal, or from the use for our own records",
    default_months=36,
    safeguarding=False,
    due=_media_uses_due,
    anonymise=_media_use_anonymise,
    delete=_media_use_delete,
    locate=object_locator(MediaUse),
    subjects=_child_of,
)


def subject_access_documents(
    *, child: Child | None = None, guardian: Guardian | None = None
) -> list[tuple[str, bytes]]:
    """For a subject access export: the child's consent summary, and a receipt
    for every online consent the person gave or that was given for the child
    (without the address it was signed from: that goes for review, not release)."""
    from consent.gate import consent_matrix
    from consent.parent_policies import policies_of_receipt
    from consent.pdf import render_child_summary_pdf, render_receipt_pdf

    documents = []
    records = ConsentRecord.objects.select_related("consent_type", "guardian", "child")
    if child is not None:
        history = list(records.filter(child=child).order_by("recorded_at", "pk"))
        summary = render_child_summary_pdf(child, consent_matrix(child), history)
        documents.append(("consent-summary.pdf", summary))
    else:
        history = list(records.filter(guardian=guardian).order_by("recorded_at", "pk"))
    receipts: dict[str, list] = {}
    for record in history:
        if record.receipt_sha256:
            receipts.setdefault(record.receipt_sha256, []).append(record)
    for digest, signed in receipts.items():
        receipt = render_receipt_pdf(
            signed, show_address=False, policies=policies_of_receipt(signed)
        )
        documents.append((f"consent-receipt-{digest[:12]}.pdf", receipt))
    return documents


RECORD_KINDS.register(CONSENT_RECORDS)
RECORD_KINDS.register(MEDIA_USES)
# Every media use is released; why one was made without consent is for the DSL
# to review first, as a contact log's reason for contact without consent is.
SUBJECT_ACCESS_SOURCES.register(
    Source(
        "consent",
        documents=subject_access_documents,
        review_fields={"consent.mediause": ("reason_if_not_allowed",)},
    )
)
