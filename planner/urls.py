from django.urls import path

from planner import views

app_name = "planner"

urlpatterns = [
    path("", views.home, name="home"),
    path("study/", views.study, name="study"),
    path("s/<str:token>/", views.shared_scenario, name="shared-scenario"),
]
