from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.row_list, name="list"),
    path("<slug:slug>/new/", views.add, name="add"),
    path("<slug:slug>/<int:pk>/", views.edit, name="edit"),
    path("<slug:slug>/<int:pk>/variant/", views.add, name="variant"),
    path("<slug:slug>/<int:pk>/history/", views.row_history, name="history"),
    path("<slug:slug>/<int:pk>/delete/", views.delete, name="delete"),
]
