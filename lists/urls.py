from django.urls import path

from lists import views

app_name = "lists"

urlpatterns = [
    path("", views.ListIndexView.as_view(), name="index"),
    path("new/", views.ListCreateView.as_view(), name="create"),
    path("choose/", views.ListChooseView.as_view(), name="choose"),
    path("<int:pk>/", views.ListEditView.as_view(), name="edit"),
    path("<int:pk>/add/", views.ListAddView.as_view(), name="add"),
    path("<int:pk>/remove/", views.ListRemoveView.as_view(), name="remove"),
    path("<int:pk>/rename/", views.ListRenameView.as_view(), name="rename"),
    path("<int:pk>/delete/", views.ListDeleteView.as_view(), name="delete"),
]
