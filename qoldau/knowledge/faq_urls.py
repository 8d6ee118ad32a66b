"""The public FAQ (no sign-in): the published articles marked public, in kk, ru and en."""

from django.urls import URLPattern, URLResolver, path

from qoldau.knowledge import faq_views

app_name = "faq"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", faq_views.faq_index, name="index"),
    path("results/", faq_views.faq_results, name="results"),
    path("<int:pk>/", faq_views.faq_article, name="article"),
    path("attachments/<int:pk>/", faq_views.faq_attachment, name="attachment"),
]
