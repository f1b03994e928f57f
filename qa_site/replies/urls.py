from django.urls import path

from . import views

app_name = "replies"
urlpatterns = [
    path("mime/", views.raw_mime, name="raw_mime_inbound"),
    *views._provider_patterns(),
]
