"""The one plug-in registry: each hook finds every app's contributions by itself."""

from common.registry import (
    CHILD_PAGE_SECTIONS,
    EMAIL_COMPOSERS,
    INDUCTION,
    POLICY_PUBLISHED,
    RECORD_KINDS,
    REMINDERS,
    SUBJECT_ACCESS_SOURCES,
    TRAINING_REQUIREMENTS,
    Hook,
)


def _names(items) -> list[str]:
    return [f"{item.__module__}.{item.__name__}" for item in items]


def test_reminder_providers_come_from_every_apps_reminders_module() -> None:
    names = _names(REMINDERS.items())
    for expected in (
        "compliance.reminders.sign_in_not_set_up",
        "compliance.reminders.checks_falling_due",
        "records.retention.reviews_due",
        "records.subject_access.sars_due",
        "policies.reminders.reviews_due",
        "consent.reminders.consent_expiring",
        "incidents.reminders.ico_deadlines",
        "allegations.reminders.lado_referrals",
        "practice.reminders.practice_due",
        "supervision.reminders.supervision_actions",
        "supervision.reminders.supervision_sessions",
        "notices.reminders.emails_failed",
    ):
        assert expected in names
    assert len(names) == len(set(names)), "a provider registered twice would remind twice"


def test_other_hooks_find_their_contributions() -> None:
    assert sorted(kind.code for kind in RECORD_KINDS.items()) == [
        "allegations",
        "consent_records",
        "contact_logs",
        "incidents",
        "media_uses",
        "planned_sessions",
        "policy_versions",
        "supervision_discussions",
        "supervision_notes",
    ]
    assert _names(CHILD_PAGE_SECTIONS.items()) == [
        "policies.agreement_views.child_section",
        "consent.views.child_section",
        "practice.views.child_section",
        "practice.planning_views.planned_sessions_section",
        "incidents.views.chronology.child_section",
    ]
    sources = {source.app_label: source.safeguarding for source in SUBJECT_ACCESS_SOURCES.items()}
    assert sources == {
        "allegations": True,
        "consent": False,
        "incidents": True,
        "practice": False,
        "supervision": True,
    }
    assert _names(TRAINING_REQUIREMENTS.items()) == ["practice.reminders.online_presence_training"]
    assert sorted(composer.kind for composer in EMAIL_COMPOSERS.items()) == [
        "accounts.invitation",
        "consent.policy_changed",
        "consent.request",
        "consent.withdrawal_confirmed",
        "incidents.file_transfer",
        "notices.urgent",
    ]
    assert _names(INDUCTION.items()) == ["compliance.induction.induction_outstanding"]
    assert _names(POLICY_PUBLISHED.items()) == ["consent.emails._policy_published"]


def test_a_test_can_replace_or_add_for_one_block_only() -> None:
    hook: Hook[str] = Hook("no_such_module_anywhere", "test items")
    hook.register("kept")
    with hook.only("alone"):
        assert hook.items() == ("alone",)
    assert hook.items() == ("kept",)
    with hook.also("extra"):
        assert hook.items() == ("kept", "extra")
    assert hook.items() == ("kept",)
    assert hook.register("kept") == "kept"
    assert hook.items() == ("kept",)


def test_each_hook_is_complete_the_first_time_a_fresh_process_reads_it() -> None:
    """A worker that has read no other hook yet must still see every source: a
    subject access export made first thing after a restart keeps the incidents
    in the review folder."""
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from common import registry\n"
        "print(sorted(s.app_label for s in registry.SUBJECT_ACCESS_SOURCES.items()))\n"
        "print(len(registry.TRAINING_REQUIREMENTS.items()))\n"
        "print(sorted(c.kind for c in registry.EMAIL_COMPOSERS.items()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "safeguard.settings"},
    ).stdout.split("\n")
    assert out[0] == "['allegations', 'consent', 'incidents', 'practice', 'supervision']"
    assert out[1] == "1"
    # A worker sending its first email finds the composer of every kind.
    assert out[2] == (
        "['accounts.invitation', 'consent.policy_changed', 'consent.request', "
        "'consent.withdrawal_confirmed', 'incidents.file_transfer', 'notices.urgent']"
    )
