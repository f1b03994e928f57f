import pytest

from subscriptions.models import Membership
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def generous_invite_rate(settings):
    """Counts of invitations are kept in the cache across tests: only the rate-limit test sets a low limit."""
    settings.RATE_LIMIT_INVITE = "10000/d"


@pytest.fixture
def as_nadia(client, nadia):
    client.force_login(nadia)
    return client


@pytest.fixture
def walter(westvale):
    """Westvale's network admin: an admin, but of another network."""
    user = UserFactory(email="walter@example.test", first_name="Walter", last_name="Webb")
    MembershipFactory(network=westvale, user=user, role=Membership.Role.ADMIN)
    return user
