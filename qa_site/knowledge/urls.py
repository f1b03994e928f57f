from django.urls import path

from . import editor, views

app_name = "knowledge"

urlpatterns = [
    path("ask/", views.ask, name="ask"),
    path("questions/", views.my_questions, name="my_questions"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
    path("questions/<int:pk>/reply/", views.question_reply, name="reply"),
    path("questions/<int:pk>/withdraw/", views.question_withdraw, name="withdraw"),
    path("questions/<int:pk>/rate/", views.rate_answer, name="rate"),
    path("answers/<int:page_id>/helpful/", views.vote_helpful, name="helpful"),
    path("answers/preview/", editor.preview, name="markdown_preview"),
]
