"""The development mailbox in the admin: the stored mails, newest first, and one mail.

Coordinators (staff) only; anyone else is turned away as Wagtail turns them away from any screen they may not use.
The screens exist only while the mailbox backend is in use: otherwise, and for any name that is not a stored
mail's, they answer 404. A mail's HTML part is shown in a sandboxed frame (no scripts, no forms, no access to the
admin), its links opening in a new tab.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from qa_site import devmail

PAGE_SIZE = 50
# Put at the start of an HTML part shown in the frame: its links open in a new tab rather than inside the frame.
FRAME_HEAD = '<base target="_blank">'


def _check(request):
    if not devmail.in_use():
        raise Http404("The development mailbox is not in use.")
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied("Only coordinators can read the development mailbox.")


def _path(name):
    path = devmail.path_of(name)
    if path is None:
        raise Http404("No such mail.")
    return path


class MailboxView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        _check(request)
        return super().dispatch(request, *args, **kwargs)


class MailListView(MailboxView):
    page_title = "Mailbox"
    template_name = "devmail/list.html"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(devmail.names(), PAGE_SIZE).get_page(self.request.GET.get("p"))
        context["page"] = page
        context["mails"] = [devmail.headers(name) for name in page]
        context["folder"] = devmail.mailbox_dir()
        return context


class MailView(MailboxView):
    template_name = "devmail/mail.html"

    def get(self, request, *args, **kwargs):
        _path(kwargs["name"])
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return self.mail["subject"] or "(no subject)"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("devmail:list"), "label": "Mailbox"},
            {"url": "", "label": self.get_page_title()},
        ]

    @property
    def mail(self):
        if not hasattr(self, "_mail"):
            self._mail = devmail.read(self.kwargs["name"])
        return self._mail

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["mail"] = self.mail
        context["frame_html"] = FRAME_HEAD + self.mail["html"] if self.mail["html"] else ""
        return context


class RawMailView(View):
    """The stored file itself, to open in a mail program."""

    def get(self, request, name):
        _check(request)
        return FileResponse(_path(name).open("rb"), as_attachment=True, filename=name, content_type="message/rfc822")
