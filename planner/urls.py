from django.urls import path

from planner import capacity_page, views

app_name = "planner"

urlpatterns = [
    path("", views.home, name="home"),
    path("study/", views.study, name="study"),
    path("capacity/", capacity_page.capacity, name="capacity"),
    path("s/<str:token>/", views.shared_scenario, name="shared-scenario"),
]
