from django.urls import path

from . import alert_views

app_name = "alerts"

urlpatterns = [
    path("", alert_views.index, name="index"),
    path("follow/", alert_views.follow, name="follow"),
    path("<int:pk>/", alert_views.change, name="change"),
    path("<int:pk>/unfollow/", alert_views.unfollow, name="unfollow"),
    path("unsubscribe/<str:token>/", alert_views.unsubscribe, name="unsubscribe"),
]
