from django.urls import URLPattern, URLResolver, path

from qoldau.knowledge import views

app_name = "knowledge"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search, name="search"),
    path("results/", views.search_results, name="search_results"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    path(
        "attachments/<int:pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("review/", views.flag_list, name="flag_list"),
    path("editor/", views.dashboard, name="dashboard"),
    path("editor/articles/", views.article_list, name="article_list"),
    path("editor/articles/new/", views.article_edit, name="article_create"),
    path("editor/articles/<int:pk>/", views.article_edit, name="article_edit"),
    path(
        "editor/articles/<int:pk>/history/<str:language>/",
        views.history,
        name="history",
    ),
    path(
        "editor/articles/<int:pk>/<str:language>/<str:action>/",
        views.translation_action,
        name="translation_action",
    ),
    path(
        "editor/articles/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"
    ),
    path(
        "editor/attachments/<int:pk>/remove/",
        views.attachment_delete,
        name="attachment_remove",
    ),
    path("editor/preview/", views.preview, name="preview"),
    path("editor/flags/<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("editor/synonyms/", views.synonym_list, name="synonym_list"),
    path("editor/synonyms/new/", views.synonym_edit, name="synonym_create"),
    path("editor/synonyms/<int:pk>/", views.synonym_edit, name="synonym_edit"),
]
