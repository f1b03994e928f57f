from django.urls import include, path, reverse
from wagtail import hooks

from qa_site.knowledge.wagtail_hooks import CoordinatorMenuItem

from . import admin_views

admin_urlpatterns = [path("search/gaps/", admin_views.SearchGapsView.as_view(), name="gaps")]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("", include((admin_urlpatterns, "search_admin")))]


@hooks.register("register_reports_menu_item")
def gaps_menu_item():
    return CoordinatorMenuItem("Search gaps", reverse("search_admin:gaps"), icon_name="search", order=300)
