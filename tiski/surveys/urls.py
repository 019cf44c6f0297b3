"""Public survey pages (no login): /survey/<invitation>/<signed token>/..."""

from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("<int:invitation_id>/<str:token>/", views.survey, name="survey"),
    path("<int:invitation_id>/<str:token>/rate/<int:score>/", views.rate, name="rate"),
    path("<int:invitation_id>/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
]
