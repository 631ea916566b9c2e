from django.urls import path

from mycustomers.views import actions, background, detail, edits, lookup, main, saved_views

app_name = "customers"

urlpatterns = [
    path("", main.CustomerListView.as_view(), name="list"),
    path("export/", main.CustomerExportView.as_view(), name="export"),
    # Saved views and the column chooser (F6).
    path("columns/", saved_views.ColumnsView.as_view(), name="columns"),
    path("views/new/", saved_views.SavedViewCreateView.as_view(), name="save_view"),
    path(
        "views/<int:pk>/default/", saved_views.SavedViewDefaultView.as_view(), name="default_view"
    ),
    path("views/<int:pk>/delete/", saved_views.SavedViewDeleteView.as_view(), name="delete_view"),
    path("<int:pk>/dismiss-flag/", main.DismissMissedCallView.as_view(), name="dismiss_flag"),
    # One customer (SPEC §5): pages, then the detail page's POST-only edits.
    path("lookup/", lookup.CallerCardView.as_view(), name="lookup"),
    path("lookup/suggestions/", lookup.CallerSuggestionsView.as_view(), name="lookup_suggest"),
    path("<int:pk>/", detail.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/history/", detail.CustomerHistoryView.as_view(), name="history"),
    path("<int:pk>/events/<int:event_pk>/", detail.PurchaseDetailView.as_view(), name="purchase"),
    path("<int:pk>/nickname/", edits.NicknameView.as_view(), name="nickname"),
    path("<int:pk>/follow-up/", edits.FollowUpView.as_view(), name="follow_up"),
    path("<int:pk>/lists/", edits.CustomerListsView.as_view(), name="customer_lists"),
    path("<int:pk>/notes/", edits.AddNoteView.as_view(), name="add_note"),
    path("<int:pk>/notes/<int:note_pk>/", edits.EditNoteView.as_view(), name="edit_note"),
    path(
        "<int:pk>/notes/<int:note_pk>/delete/", edits.DeleteNoteView.as_view(), name="delete_note"
    ),
    path("<int:pk>/offers/new/", edits.SendOfferView.as_view(), name="send_offer"),
]

# Mass actions (SPEC §4): GET shows the selection's page, POST applies.
urlpatterns += [
    path("actions/send-mail/", actions.SendMailView.as_view(), name="send_mail"),
    path("actions/block/", actions.BlockView.as_view(), name="block"),
    path("actions/unblock/", actions.UnblockView.as_view(), name="unblock"),
    path("actions/delete/", actions.DeleteView.as_view(), name="delete"),
    path("actions/restore/", actions.RestoreView.as_view(), name="restore"),
    path("actions/assign/", actions.AssignView.as_view(), name="assign"),
    path("actions/add-to-list/", actions.AddToListView.as_view(), name="add_to_list"),
    path(
        "actions/remove-from-list/", actions.RemoveFromListView.as_view(), name="remove_from_list"
    ),
    path("actions/undo-delete/", actions.UndoDeleteView.as_view(), name="undo_delete"),
    path("deleted/", actions.DeletedCustomersView.as_view(), name="deleted"),
    # Large mass actions run in the background (mycustomers.jobs).
    path("background/", background.BackgroundActionsView.as_view(), name="background"),
    path(
        "background/<int:pk>/stop/",
        background.BackgroundActionChangeView.as_view(change="stop"),
        name="stop_background",
    ),
    path(
        "background/<int:pk>/dismiss/",
        background.BackgroundActionChangeView.as_view(change="dismiss"),
        name="dismiss_background",
    ),
]
