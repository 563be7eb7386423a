import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, Role, User
from children.models import Child

PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Test Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A member of staff with a password and, unless authenticator=False, an
    enrolled authenticator app, as everyone who has finished onboarding has."""

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
        user = model_class.objects.create_user(*args, password=password, **kwargs)
        if authenticator:
            TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        return user


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=4, maximum_age=16)


def practice_rules_off(organisation: Organisation) -> None:
    """For tests of something else (the consent gate, exports): the online
    practice rules off, as an organisation may set them. The rules have their
    own tests in tests/practice/."""
    from practice.models import PracticeSettings

    PracticeSettings.objects.update_or_create(
        organisation=organisation,
        defaults={
            "require_purpose": False,
            "flag_out_of_hours": False,
            "require_copy": False,
            "video_safeguards": False,
            "approved_platforms_only": False,
            "registered_devices_only": False,
            "require_dbs": False,
        },
    )
