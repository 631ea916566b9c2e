from django.urls import path

from lists import smart_views, views

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
    path("smart/new/", smart_views.SmartListCreateView.as_view(), name="smart_create"),
    path("smart/ready-made/", smart_views.SmartListPresetView.as_view(), name="smart_preset"),
    path("smart/<int:pk>/rules/", smart_views.SmartListRulesView.as_view(), name="smart_rules"),
    path("smart/<int:pk>/rename/", smart_views.SmartListRenameView.as_view(), name="smart_rename"),
    path("smart/<int:pk>/delete/", smart_views.SmartListDeleteView.as_view(), name="smart_delete"),
]
