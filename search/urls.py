from django.urls import path

from . import views, views_similar

app_name = "search"

urlpatterns = [
    path("", views.search, name="search"),
    path("similar/", views_similar.similar, name="similar"),
    path("similar/<int:page_id>/open/", views_similar.open_similar, name="similar_open"),
]
