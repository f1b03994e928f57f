from django.urls import path

from . import views

app_name = "webhooks"

# Included at /network/<slug>/webhooks/, beside the network admin's other pages.
urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:pk>/", views.endpoint, name="endpoint"),
    path("<int:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<int:pk>/rotate/", views.endpoint_rotate, name="rotate"),
    path("<int:pk>/test/", views.endpoint_test, name="test"),
    path("<int:pk>/on/", views.endpoint_switch_on, name="switch_on"),
    path("<int:pk>/off/", views.endpoint_switch_off, name="switch_off"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
]
