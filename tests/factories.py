import datetime as dt

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, Role, User
from children.models import Child, ChildGuardian, Guardian
from compliance.models import Delivery, TrainingKind, TrainingRecord
from consent.models import ConsentRecord, ConsentType, ConsentTypeVersion
from consent.services import consent_types_ensure
from incidents.models import Incident

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Test Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A member of staff with a password and, unless authenticator=False, an
    enrolled authenticator app; unless inducted=False, trained in using Safeguard
    (compliance.induction), as everyone who has finished onboarding has. No code
    of conduct for staff exists unless a test makes one, so none is owed."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@example.test")
    full_name = factory.Faker("name", locale="en_GB")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.STAFF

    @classmethod
    def _create(cls, model_class: type[User], *args: object, **kwargs: object) -> User:
        password = kwargs.pop("password", PASSWORD)
        authenticator = kwargs.pop("authenticator", True)
        inducted = kwargs.pop("inducted", True)
        user = model_class.objects.create_user(*args, password=password, **kwargs)
        if authenticator:
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        if inducted:
            # Straight to the table: the factory's own setup is not an audited act.
            TrainingRecord.objects.create(
                organisation_id=user.organisation_id,
                staff=user,
                kind=TrainingKind.SYSTEM,
                completed_on=timezone.localdate(),
                delivery=Delivery.INTERNAL,
                recorded_by=user,
            )
        return user


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=4, maximum_age=16)


class GuardianFactory(factory.django.DjangoModelFactory):
    """A parent or carer with no contact details: add email or phone when the
    test sends something."""

    class Meta:
        model = Guardian

    organisation = factory.SubFactory(OrganisationFactory)
    full_name = factory.Faker("name", locale="en_GB")


class ChildGuardianFactory(factory.django.DjangoModelFactory):
    """A guardian linked to a child, with parental responsibility unless told
    otherwise; the guardian belongs to the child's organisation."""

    class Meta:
        model = ChildGuardian

    child = factory.SubFactory(ChildFactory)
    guardian = factory.SubFactory(
        GuardianFactory, organisation=factory.SelfAttribute("..child.organisation")
    )
    relationship = "parent"
    parental_responsibility = True


class ConsentTypeFactory(factory.django.DjangoModelFactory):
    """One of the organisation's consent types, by code, with a first wording.

    The organisation's default types are made first, as its first consent page
    would make them, so a test's own type sits beside them instead of in their
    place; a default code gives the default type.
    """

    class Meta:
        model = ConsentType

    organisation = factory.SubFactory(OrganisationFactory)
    code = "online_sessions"
    name = factory.LazyAttribute(lambda consent_type: consent_type.code.replace("_", " ").title())
    validity_months = 12
    explanation = "We would like to see your child online."

    @classmethod
    def _create(
        cls,
        model_class: type[ConsentType],
        *,
        organisation: Organisation,
        code: str,
        explanation: str,
        **fields: object,
    ) -> ConsentType:
        consent_types_ensure(organisation=organisation)
        consent_type, created = model_class.objects.get_or_create(
            organisation=organisation, code=code, defaults=fields
        )
        if created:
            ConsentTypeVersion.objects.create(
                consent_type=consent_type, number=1, explanation=explanation
            )
        return consent_type


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    """A consent decision as if recorded from a paper form: no signing page,
    no receipt hash worth checking. Tests of signing go through the services."""

    class Meta:
        model = ConsentRecord

    child = factory.SubFactory(ChildFactory)
    organisation = factory.SelfAttribute("child.organisation")
    guardian = factory.SubFactory(
        GuardianFactory, organisation=factory.SelfAttribute("..organisation")
    )
    consent_type = factory.SubFactory(
        ConsentTypeFactory, organisation=factory.SelfAttribute("..organisation")
    )
    type_version = factory.LazyAttribute(lambda record: record.consent_type.current_version())
    decision = "granted"
    method = "paper"
    typed_name = factory.LazyAttribute(lambda record: record.guardian.full_name)
    shown_sha256 = "0" * 64


class IncidentFactory(factory.django.DjangoModelFactory):
    """A concern as stored, without the service's notices and audit: for tests
    that count or list incidents, not for tests of raising one."""

    class Meta:
        model = Incident

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"OS-T-{n}")
    reporter = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    occurred_at = factory.LazyFunction(timezone.now)
    disclosed_at = factory.SelfAttribute("occurred_at")
    category = "contact"
    incident_type = "other"
    what_happened = "x"
    initial_risk = "medium"
    risk = factory.SelfAttribute("initial_risk")


def practice_rules_off(organisation: Organisation) -> None:
    """For tests of something else (the consent gate, exports): every online
    practice rule off, as an organisation may set them. The rules have their own
    tests in tests/practice/."""
    from django.db import models

    from practice.models import PracticeSettings

    # Every rule, whatever rules are added later: each is a yes/no setting.
    rules = [f.name for f in PracticeSettings._meta.fields if isinstance(f, models.BooleanField)]
    PracticeSettings.objects.update_or_create(
        organisation=organisation, defaults=dict.fromkeys(rules, False)
    )


def cleared_for_online_work(staff: User, *, by: User) -> None:
    """A current DBS check at the highest level and every training the role
    asks for: nothing in the way of online work with children."""
    from compliance import services as compliance

    today = timezone.localdate()
    compliance.dbs_check_record(
        staff=staff,
        by=by,
        level="enhanced_barred",
        issued_on=today - dt.timedelta(days=100),
    )
    for kind in sorted(compliance.required_training([staff])[staff.pk]):
        compliance.training_record(
            staff=staff, by=by, kind=kind, completed_on=today - dt.timedelta(days=30)
        )


def parents_agreed(child: Child) -> None:
    """Every parent or carer with parental responsibility for the child has agreed
    to the current version of every parent-facing policy: nothing of the
    "agree before services start" rule in the way of a test about something else."""
    from policies import reach
    from policies.models import Acknowledgement

    found = reach.parent_bindings(child.organisation_id)
    for link in ChildGuardian.objects.filter(child=child, parental_responsibility=True):
        for binding in found:
            Acknowledgement.objects.get_or_create(version=binding.current, guardian=link.guardian)
