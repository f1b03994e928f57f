from django.urls import path

from . import views

app_name = "experts"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("questions/<int:pk>/", views.question, name="question"),
]
