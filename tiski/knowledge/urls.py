from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_new, name="new"),
    path("categories/", views.categories, name="categories"),
    path("images/", views.image_upload, name="image-upload"),
    path("picker/", views.article_picker, name="picker"),
    path("<int:pk>/<str:language>/", views.article_edit, name="edit"),
    path("<int:pk>/<str:language>/status/", views.article_status, name="status"),
    path("<int:pk>/<str:language>/history/", views.article_history, name="history"),
    path("versions/<int:pk>/restore/", views.version_restore, name="restore"),
]
