from django.urls import path

from . import views

app_name = "feeds"

urlpatterns = [
    path("latest.rss", views.latest, {"kind": "rss"}, name="latest_rss"),
    path("latest.atom", views.latest, {"kind": "atom"}, name="latest_atom"),
]
