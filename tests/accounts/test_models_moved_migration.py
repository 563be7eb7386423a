"""The house rebuild moved the core models into their own apps without touching a row.

Builds a populated PostgreSQL database at the state just before the move, with
what a running deployment has by then (content types, an allocation's object
permission, reminders already sent with the old labels, a hash-chained audit
log), migrates, and checks that nothing was lost, nothing is sent twice, the
chain still verifies and a therapist still sees exactly their own children.
"""

import contextlib
import datetime as dt
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from tests.conftest import require_service

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The new apps' first migrations: the move and everything after it descend from these.
NEW_APPS = ["audit", "children", "compliance", "notices", "records", "ops"]
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
MOVED_MODELS = {
    "child": "children",
    "guardian": "children",
    "childguardian": "children",
    "allocation": "children",
    "dbscheck": "compliance",
    "subjectaccessrequest": "records",
    "retentionreview": "records",
    "reminderledger": "notices",
    "auditevent": "audit",
}


def _row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            if table == "django_migrations":
                continue
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our own table names
            counts[table] = cursor.fetchone()[0]
        return counts


def _before_and_after() -> tuple[list[tuple[str, str]], list[tuple[str, str]], set]:
    """Each app's last migration before the move, the leaves, and the move itself."""
    graph = MigrationLoader(connection).graph
    move = set()
    for app in NEW_APPS:
        move.update(graph.backwards_plan((app, "0001_initial")))
    before = set(graph.nodes) - move
    last_before = [
        node
        for node in before
        if not any(child.key in before for child in graph.node_map[node].children)
    ]
    return sorted(last_before), sorted(graph.leaf_nodes()), move


def _populate(apps):
    """A small organisation as the code before the move left it."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Organisation = apps.get_model("safeguard", "Organisation")
    User = apps.get_model("safeguard", "User")
    Child = apps.get_model("safeguard", "Child")
    Guardian = apps.get_model("safeguard", "Guardian")
    ChildGuardian = apps.get_model("safeguard", "ChildGuardian")
    Allocation = apps.get_model("safeguard", "Allocation")
    ChildUserObjectPermission = apps.get_model("safeguard", "ChildUserObjectPermission")
    DBSCheck = apps.get_model("safeguard", "DBSCheck")
    SubjectAccessRequest = apps.get_model("safeguard", "SubjectAccessRequest")

    # post_migrate is muted here, so make the content types a live database has.
    for model in MOVED_MODELS:
        ContentType.objects.get_or_create(app_label="safeguard", model=model)
    ContentType.objects.get_or_create(app_label="consent", model="contactlog")
    # A database where post_migrate already made one new content type (two
    # partial migrates): its twin permission must end up holding the grants.
    guardian_type = ContentType.objects.get(app_label="safeguard", model="guardian")
    Permission.objects.create(
        codename="view_guardian", name="Can view guardian", content_type=guardian_type
    )
    Permission.objects.create(
        codename="view_guardian",
        name="Can view guardian",
        content_type=ContentType.objects.create(app_label="children", model="guardian"),
    )
    child_type = ContentType.objects.get(app_label="safeguard", model="child")
    view_child = Permission.objects.create(
        codename="view_child", name="Can view child", content_type=child_type
    )

    org = Organisation.objects.create(name="Rowan Music Therapy", slug="rowan")
    dsl = User.objects.create(
        email="dsl@rowan.test", full_name="Dana Lead", organisation=org, role="dsl"
    )
    therapist = User.objects.create(
        email="theo@rowan.test", full_name="Theo Therapist", organisation=org, role="staff"
    )
    children = [
        Child.objects.create(
            organisation=org,
            first_name=name,
            last_name="Hill",
            date_of_birth=dt.date(2016, 5, 1),
            active_from=dt.date(2026, 1, 5),
        )
        for name in ("Ada", "Ben", "Cal")
    ]
    mum = Guardian.objects.create(organisation=org, full_name="Mo Hill", email="mo@example.org")
    ChildGuardian.objects.create(
        child=children[0], guardian=mum, relationship="mother", parental_responsibility=True
    )
    Allocation.objects.create(
        organisation=org,
        child=children[0],
        staff=therapist,
        starts_on=dt.date(2026, 2, 1),
        created_by=dsl,
    )
    ChildUserObjectPermission.objects.create(
        user=therapist, permission=view_child, content_object=children[0]
    )
    therapist.user_permissions.add(
        Permission.objects.get(codename="view_guardian", content_type=guardian_type)
    )
    DBSCheck.objects.create(
        organisation=org,
        staff=therapist,
        level="enhanced",
        issued_on=dt.date(2025, 3, 1),
        recorded_by=dsl,
    )
    # A subject access request a week from its deadline: a reminder is due now.
    SubjectAccessRequest.objects.create(
        organisation=org,
        requester="Mo Hill",
        child=children[0],
        received_on=dt.date(2026, 11, 8),
        due_on=dt.date(2026, 12, 8),
        recorded_by=dsl,
    )
    return org, therapist, children


# Tables added after the move that today's reminder providers read: the DBS and
# training reminders ask what each role needs (compliance.RoleTrainingRequirement).
TABLES_READ_BY_PROVIDERS = ["compliance.RoleTrainingRequirement"]


@contextlib.contextmanager
def _columns_added_since():
    """The providers are today's code, and select every column today's models
    have (policies join the organisation, for one). Columns added after the move
    (Organisation.online_dbs_level, TrainingRecord.delivery...) to tables that
    existed before it are there for the sweep, holding their defaults, and gone
    again before the move runs. So are the tables added since that today's
    providers read (each role's training as the organisation sets it), empty."""
    from django.apps import apps as live_apps

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        new_tables = [
            model
            for model in map(live_apps.get_model, TABLES_READ_BY_PROVIDERS)
            if model._meta.db_table not in tables
        ]
        missing = []
        for model in live_apps.get_models():
            if model._meta.db_table not in tables or not model._meta.managed:
                continue
            present = {
                column.name
                for column in connection.introspection.get_table_description(
                    cursor, model._meta.db_table
                )
            }
            missing += [
                (model, field)
                for field in model._meta.concrete_fields
                if field.column
                and field.column not in present
                # A key to a table added since (ContactLog.plan) is not read by
                # the providers that run here, and could not point anywhere.
                and (field.related_model is None or field.related_model._meta.db_table in tables)
            ]
    with connection.schema_editor() as editor:
        for model, field in missing:
            editor.add_field(model, field)
        for model in new_tables:
            editor.create_model(model)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for model in new_tables:
                editor.delete_model(model)
            for model, field in missing:
                editor.remove_field(model, field)


def _sweep_as_before(organisation_id: int, apps) -> int:
    """Claim today's reminders as the engine did before the move: the same keys,
    with the objects' labels as they were then (safeguard.<model>)."""
    from accounts.models import Organisation
    from notices import engine

    ReminderLedger = apps.get_model("safeguard", "ReminderLedger")
    organisation = Organisation.objects.get(pk=organisation_id)
    tz = zoneinfo.ZoneInfo(organisation.timezone)
    claimed = 0
    for provider in engine.providers():
        if provider.__module__.startswith(
            ("notices.reminders", "allegations.", "supervision.")
        ) or provider.__name__ in {"follow_ups_due", "file_transfers", "files_not_sent"}:
            # These read tables that came after the move: failed emails read the
            # outbox, a contact's follow-ups, allegations, supervision and child
            # protection file transfers their own tables.
            continue
        for item in provider(organisation=organisation, now=NOW):
            kind, label, object_id, stage, due_on = engine._key(item, tz)
            model = label.split(".")[1]
            ReminderLedger.objects.create(
                organisation_id=organisation_id,
                kind=kind,
                object_type=f"safeguard.{model}" if model in MOVED_MODELS else label,
                object_id=object_id,
                stage=stage,
                due_on=due_on,
                due_at=item.due_at,
            )
            claimed += 1
    return claimed


def _audit_as_before(apps, children) -> None:
    """Events written before the move name the child as safeguard.child, chained
    as the code then did: the head held seq and hash, with no MAC yet."""
    from audit.models import GENESIS_HASH
    from audit.services import event_hash

    AuditEvent = apps.get_model("safeguard", "AuditEvent")
    AuditChainHead = apps.get_model("safeguard", "AuditChainHead")
    head, _ = AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS_HASH})
    for child in children:
        for action in ("child.created", "child.viewed"):
            event = AuditEvent(
                seq=head.seq + 1,
                organisation_id=child.organisation_id,
                actor_label="import",
                action=action,
                object_type=child._meta.label_lower,
                object_id=str(child.pk),
                occurred_at=NOW,
                details={},
                previous_hash=head.hash,
            )
            event.hash = event_hash(event)
            event.save()
            head.seq, head.hash = event.seq, event.hash
            head.save()


def test_the_move_keeps_every_row_permission_reminder_and_audit_event(migrator) -> None:
    require_service(
        connection.vendor == "postgresql",
        f"needs PostgreSQL (DATABASE_URL); this run uses {connection.vendor}",
    )
    before, leaves, move = _before_and_after()
    assert ("safeguard", "0009_relabel_moved_models") in move
    # From an empty database, only what the move does not depend on (the
    # smallest plan to those targets), so no migration of the move runs yet.
    migrator.apply_initial_migration([("contenttypes", "0001_initial")])
    old_state = migrator.apply_tested_migration(before)
    assert not move & set(MigrationRecorder(connection).applied_migrations())
    org, therapist, children = _populate(old_state.apps)
    assert children[0]._meta.label_lower == "safeguard.child"
    _audit_as_before(old_state.apps, children)
    with _columns_added_since():
        claimed_before = _sweep_as_before(org.pk, old_state.apps)
    assert claimed_before >= 1, "the subject access reminder should be due"
    before = _row_counts()

    new_state = migrator.apply_tested_migration(leaves)

    # Not a row gained or lost in any table, but for the duplicate content type
    # and its permission, merged into their twins.
    after = _row_counts()
    # Apps added since (the outbox) bring tables of their own, empty.
    added = {table: after.pop(table) for table in set(after) - set(before)}
    assert added == dict.fromkeys(added, 0)
    assert after["django_content_type"] == before["django_content_type"] - 1
    assert after["auth_permission"] == before["auth_permission"] - 1
    assert {**after, "django_content_type": 0, "auth_permission": 0} == {
        **before,
        "django_content_type": 0,
        "auth_permission": 0,
    }

    # Content types were renamed in place, so the allocation's object permission
    # still grants the therapist exactly the child allocated to them.
    ContentType = new_state.apps.get_model("contenttypes", "ContentType")
    assert ContentType.objects.filter(app_label="children", model="child").exists()
    assert not ContentType.objects.filter(app_label="safeguard", model="child").exists()
    # The contact log moved from consent to practice the same way.
    assert ContentType.objects.filter(app_label="practice", model="contactlog").exists()
    assert not ContentType.objects.filter(app_label="consent", model="contactlog").exists()
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    from accounts.models import User
    from children.permissions import children_visible_to

    # The process-wide content type cache may still hold the ids from before the
    # merge (an earlier test in the same process filled it): ask the database.
    LiveContentType.objects.clear_cache()
    theo = User.objects.get(pk=therapist.pk)
    assert list(children_visible_to(theo).values_list("first_name", flat=True)) == ["Ada"]
    assert theo.has_perm("children.view_child", children_visible_to(theo).get())
    assert theo.has_perm("children.view_guardian")

    # The ledger now names the objects by their new labels, so today's sweep
    # finds every reminder already claimed and sends nothing again.
    from notices import engine
    from notices.models import ReminderLedger

    assert ReminderLedger.objects.filter(object_type="records.subjectaccessrequest").exists()
    assert not ReminderLedger.objects.filter(object_type__startswith="safeguard.child").exists()
    result = engine.sweep(now=NOW)
    assert result.due == claimed_before
    assert result.claimed == 0

    # The audit chain still verifies, and its old labels still find their child.
    call_command("verify_audit")
    from audit.selectors import events_about
    from children.models import Child

    ada = Child.objects.get(pk=children[0].pk)
    assert [event.object_type for event in events_about(ada)] == ["safeguard.child"] * 2
