from django.urls import path

from . import plan, views

app_name = "network"

# Fixed words come before <slug:slug>/…, and the invitation link after the network's pages: its token always
# holds a colon, so it can never be mistaken for one of them, nor they for it.
urlpatterns = [
    path("", views.home, name="dashboard"),
    path("invoices/<int:pk>/", views.invoice, name="invoice"),
    path("<slug:slug>/", views.dashboard, name="network"),
    path("<slug:slug>/plan/", plan.plan, name="plan"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("<slug:slug>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("<slug:slug>/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("<slug:slug>/invoices/", views.invoice_list, name="invoices"),
    path("<slug:slug>/keys/", views.keys, name="keys"),
    path("<slug:slug>/keys/<int:pk>/edit/", views.key_edit, name="key_edit"),
    path("<slug:slug>/keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("<slug:slug>/keys/<int:pk>/widget/", views.key_widget, name="key_widget"),
    path("<slug:slug>/report/", views.report, name="report"),
    path("join/<str:token>/", views.invitation, name="invitation"),
]
