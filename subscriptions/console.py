"""What the console's list screens share: Wagtail viewsets that list, filter, order, search and export, for
coordinators only.

A ``ConsoleListViewSet`` is a Wagtail ``ModelViewSet`` with only its listing (the index and its results for
filtering in place): records are changed on the screens that are really workflows (an invoice's page, a question's
page), which the listing links to through ``detail_url``. Its CSV and XLSX downloads go through
``qa_site.exports`` (formula guarding, safe file names). It lives here, the lowest app with the access policy, so
that the Q&A core and experts can use it too.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import path
from django.utils.functional import cached_property
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from qa_site.exports import FormulaGuardedExportMixin

from . import access


class CoordinatorsMayViewPolicy(BasePermissionPolicy):
    """Coordinators may view (list and export); nobody may add, change or delete through a listing."""

    def user_has_permission(self, user, action):
        return action == "view" and access.is_coordinator(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return get_user_model().objects.none()
        return get_user_model().objects.filter(is_active=True, is_staff=True)

    def users_with_permission(self, action):
        return self.users_with_any_permission([action])


MAX_SEARCH = 200  # characters of a search: enough for any title; a longer one is cut (LIKE refuses huge patterns)


def _too_long_a_number(value):
    digits = value.strip().lstrip("+-")
    return len(digits) > 18 and digits.isdigit()


class ConsoleIndexView(FormulaGuardedExportMixin, IndexView):
    """The listing: each row's title links to the record's own screen; filters it cannot read are named."""

    detail_url = None  # a function of the instance

    def get_edit_url(self, instance):
        return self.detail_url(instance) if self.detail_url else None

    def get_list_more_buttons(self, instance):
        return []  # the title is the way in: nothing is edited or deleted from a listing

    def get_filterset_kwargs(self):
        """The query string, with numbers too long to be any record's id made plainly invalid (a database cannot
        compare them: SQLite's integers stop at 2**63), so the filter says it did not understand them."""
        kwargs = super().get_filterset_kwargs()
        data = kwargs["data"].copy()
        for key, values in data.lists():
            data.setlist(key, ["?" if _too_long_a_number(value) else value for value in values])
        kwargs["data"] = data
        return kwargs

    @cached_property
    def search_query(self):
        query = super().search_query
        return query[:MAX_SEARCH] if query else query

    def get_context_data(self, **kwargs):
        if self.filters is not None and not self.results_only and not self.filters.is_valid():
            problems = " ".join(
                f"{self.filters.form.fields[name].label or name.title()}: {' '.join(errors)}"
                for name, errors in self.filters.form.errors.items()
            )
            messages.error(self.request, f"Some filters were not understood and are ignored: {problems}")
        return super().get_context_data(**kwargs)


class ConsoleListViewSet(ModelViewSet):
    """A read-only listing for coordinators, with filters, ordering, search and CSV and XLSX downloads."""

    index_view_class = ConsoleIndexView
    add_to_reference_index = False
    copy_view_enabled = False
    list_per_page = 50

    def detail_url(self, instance):
        """The record's own screen (a workflow), or None."""
        return None

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add_url_name", "edit_url_name", "delete_url_name", "history_url_name", "usage_url_name"):
            view_kwargs[name] = None
        return view_kwargs

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(detail_url=self.detail_url, **kwargs)

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]

    def get_permissions_to_register(self):
        return Permission.objects.none()  # nothing to grant: coordinators are staff

    def register_admin_url_finder(self):
        pass  # no edit view to find

    def register_permissions(self):
        register_permission_policy(self.model, CoordinatorsMayViewPolicy(self.model), exact_class=True)
        super().register_permissions()
