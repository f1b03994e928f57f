from django.urls import path

from . import views

app_name = "experts"

# The fixed words come before <slug:slug>; ExpertProfile.clean and services._unique_slug keep them out of slugs
# (models.RESERVED_SLUGS).
urlpatterns = [
    path("", views.panel_index, name="panel"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/reviews/<int:pk>/", views.review, name="review"),
    path("questions/<int:pk>/", views.question, name="question"),
    path("questions/<int:pk>/accept/", views.accept, name="accept"),
    path("settings/", views.expert_settings, name="settings"),
    path("apply/", views.apply, name="apply"),
    path("statements/", views.statements, name="statements"),
    path("statements/<str:period>/", views.statement, name="statement"),
    path("<slug:slug>/", views.profile, name="profile"),
]
