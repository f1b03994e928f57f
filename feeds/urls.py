from django.urls import path, re_path

from . import views

app_name = "feeds"

# Each feed in both formats: /feeds/<feed>.rss (RSS 2.0) and /feeds/<feed>.atom (Atom).
urlpatterns = [
    path("latest.rss", views.latest, {"fmt": "rss"}, name="latest_rss"),
    path("latest.atom", views.latest, {"fmt": "atom"}, name="latest_atom"),
    # Topic slugs may hold any letters (Wagtail allows Unicode slugs).
    re_path(r"^topics/(?P<slug>[-\w]{1,255})\.rss$", views.topic, {"fmt": "rss"}, name="topic_rss"),
    re_path(r"^topics/(?P<slug>[-\w]{1,255})\.atom$", views.topic, {"fmt": "atom"}, name="topic_atom"),
    # Experts are addressed by their profile's slug, as on /experts/<slug>/.
    path("experts/<slug:slug>.rss", views.expert, {"fmt": "rss"}, name="expert_rss"),
    path("experts/<slug:slug>.atom", views.expert, {"fmt": "atom"}, name="expert_atom"),
    re_path(r"^key/(?P<key>[-A-Za-z0-9_]{8,64})\.rss$", views.network_key, {"fmt": "rss"}, name="key_rss"),
    re_path(r"^key/(?P<key>[-A-Za-z0-9_]{8,64})\.atom$", views.network_key, {"fmt": "atom"}, name="key_atom"),
]
