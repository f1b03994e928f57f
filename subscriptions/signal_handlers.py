"""Drop what the access policy keeps in the cache (people's ``snapshot``, keys' ``key_grant``) when it changes."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from qa_site.accounts import middleware as two_factor

from . import access
from .models import AccessKey, Membership, Plan, Subscription


def _membership_changed(sender, instance, **kwargs):
    access.forget_snapshots([instance.user_id])


def _subscription_changed(sender, instance, **kwargs):
    access.forget_network_snapshots(instance.network_id)
    forget_network_keys(instance.network_id)


def forget_network_keys(network_id):
    access.forget_key_grants(AccessKey.objects.filter(network_id=network_id).values_list("key", flat=True))


def _key_changed(sender, instance, **kwargs):
    access.forget_key_grants([instance.key])


def _plan_changed(sender, instance, **kwargs):
    keys = AccessKey.objects.filter(network__subscriptions__plan=instance).values_list("key", flat=True)
    access.forget_key_grants(set(keys))


def _user_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # signing in changes nothing the policy reads
    access.forget_snapshots([instance.pk])


def _expert_profile_changed(sender, instance, **kwargs):
    access.forget_snapshots([instance.user_id])
    two_factor.forget_panel([instance.user_id])


def connect():
    for name, signal in {"saved": post_save, "deleted": post_delete}.items():
        signal.connect(_membership_changed, sender=Membership, dispatch_uid=f"access-snapshot-membership-{name}")
        signal.connect(_subscription_changed, sender=Subscription, dispatch_uid=f"access-snapshot-subscription-{name}")
        signal.connect(_key_changed, sender=AccessKey, dispatch_uid=f"access-key-grant-{name}")
        signal.connect(_plan_changed, sender=Plan, dispatch_uid=f"access-key-grant-plan-{name}")
        signal.connect(_user_changed, sender=settings.AUTH_USER_MODEL, dispatch_uid=f"access-snapshot-user-{name}")
        # By label: this app does not import the experts app.
        signal.connect(
            _expert_profile_changed, sender="experts.ExpertProfile", dispatch_uid=f"access-snapshot-expert-{name}"
        )
