"""Idempotent set-up every installation needs: the page tree and the coordinators' group."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import GroupPagePermission, Locale, Page, Site

from .models import HomePage, TopicIndexPage

COORDINATORS = "Coordinators"

# Model permissions coordinators hold, as "app_label.codename".
COORDINATOR_MODEL_PERMISSIONS = [
    "wagtailadmin.access_admin",
    *(
        f"{app}.{verb}_{model}"
        for app, model in [
            ("subscriptions", "network"),
            ("subscriptions", "plan"),
            ("subscriptions", "subscription"),
            ("subscriptions", "membership"),
            ("experts", "expertprofile"),
            ("knowledge", "slasettings"),
            ("knowledge", "knowledgesettings"),
        ]
        for verb in ("add", "change", "delete", "view")
    ),
]
COORDINATOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "delete_page", "lock_page", "unlock_page"]


@transaction.atomic
def ensure_site_tree(*, hostname="localhost", port=80):
    """Make sure the home page, the topic index and a default Site exist; return (home, topic_index)."""
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", depth=1))
    home = HomePage.objects.first()
    if home is None:
        # Replace Wagtail's "Welcome" placeholder page, if it is there.
        for placeholder in root.get_children().filter(slug="home").exact_type(Page):
            placeholder.delete()
        home = HomePage(title="Ask an Expert", slug="home")
        root.add_child(instance=home)
        home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"root_page": home, "hostname": hostname, "port": port, "site_name": "Ask an Expert"},
    )
    topic_index = TopicIndexPage.objects.first()
    if topic_index is None:
        topic_index = TopicIndexPage(
            title="Knowledge base",
            slug="topics",
            intro="Every answer our experts have given, by topic. Subscribers read them in full.",
        )
        home.add_child(instance=topic_index)
        topic_index.save_revision().publish()
    return home, topic_index


@transaction.atomic
def ensure_coordinators_group():
    group, _ = Group.objects.get_or_create(name=COORDINATORS)
    for dotted in COORDINATOR_MODEL_PERMISSIONS:
        app_label, codename = dotted.split(".")
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)
    home = HomePage.objects.first()
    if home is not None:
        for codename in COORDINATOR_PAGE_PERMISSIONS:
            permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
            GroupPagePermission.objects.get_or_create(group=group, page=home, permission=permission)
    return group
