from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from qa_site import devmail

from . import views

urlpatterns = [
    path("", views.MailListView.as_view(), name="list"),
    path("<str:name>/", views.MailView.as_view(), name="mail"),
    path("<str:name>/raw/", views.RawMailView.as_view(), name="raw"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("mail/", include((urlpatterns, "devmail")))]


class MailboxMenuItem(MenuItem):
    def is_shown(self, request):
        return devmail.in_use() and request.user.is_staff


@hooks.register("register_admin_menu_item")
def mailbox_menu_item():
    return MailboxMenuItem("Mailbox", reverse("devmail:list"), icon_name="mail", order=990)
