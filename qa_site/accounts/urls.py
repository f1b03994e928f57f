from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("data/", views.download_data, name="data"),
    path("delete/", views.delete_account, name="delete"),
    path("deleted/", views.goodbye, name="goodbye"),
]
