from django.urls import path

from mycustomers.views import actions, detail, edits, lookup, main

app_name = "customers"

urlpatterns = [
    path("", main.CustomerListView.as_view(), name="list"),
    # One customer (SPEC §5): pages, then the detail page's POST-only edits.
    path("lookup/", lookup.CallerCardView.as_view(), name="lookup"),
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
