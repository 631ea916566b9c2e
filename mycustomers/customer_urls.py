from django.urls import path

from mycustomers.views import main

app_name = "customers"

urlpatterns = [
    path("", main.CustomerListView.as_view(), name="list"),
]
