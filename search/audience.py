"""Who may find what, in the terms search engines filter by (``Audience``), from the one access policy."""

from subscriptions import access

from .backends.base import Audience


def audience_for(user) -> Audience:
    """Coordinators find everything; everyone else public answers, the network-only answers of the networks
    they have live access through, and, for experts on the panel, the network-only answers they wrote.

    Anonymous visitors, people whose subscription has lapsed and members of no network find public answers
    only (and, on the results page, read teasers: see ``access.has_subscriber_access``).
    """
    if access.is_coordinator(user):
        return Audience(everything=True)
    return Audience(
        network_ids=frozenset(access.live_network_ids(user)),
        expert_id=user.pk if access.is_panel_expert(user) else None,
    )
