"""The widget's addresses, under /embed/: they are pasted into members' websites, so they never change."""

from django.urls import path

from . import widget

app_name = "embed"

urlpatterns = [
    path("answers.json", widget.answers, name="answers"),
    path("widget.js", widget.script, name="script"),
    path("frame/", widget.frame, name="frame"),
    path("click/<int:page_id>/", widget.click, name="click"),
]
