from django.urls import path, register_converter

from . import customer, views, webform


class LanguageConverter:
    regex = "fi|en"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LanguageConverter, "lang")

app_name = "portal"

urlpatterns = [
    path("", views.root, name="root"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("brand.css", views.brand_css, name="brand-css"),
    path("images/<str:key>/", views.image, name="image"),
    path("logo/", views.logo, name="logo"),
    path("<lang:lang>/", views.home, name="home"),
    path("<lang:lang>/search/", views.search_page, name="search"),
    path("<lang:lang>/request/", webform.request_form, name="request"),
    path("<lang:lang>/request/suggest/", webform.suggest, name="request-suggest"),
    path("<lang:lang>/request/sent/", webform.sent, name="request-sent"),
    path("<lang:lang>/request/embed/", webform.request_embed, name="request-embed"),
    path("<lang:lang>/request/embed/sent/", webform.sent_embed, name="request-sent-embed"),
    path("<lang:lang>/request/solved/<slug:slug>/", webform.solved, name="request-solved"),
    path("<lang:lang>/portal/", customer.login, name="portal-login"),
    path("<lang:lang>/portal/enter/<str:token>/", customer.enter, name="portal-enter"),
    path("<lang:lang>/portal/logout/", customer.logout, name="portal-logout"),
    path("<lang:lang>/portal/password/", customer.password, name="portal-password"),
    path("<lang:lang>/portal/requests/", customer.requests, name="portal-requests"),
    path("<lang:lang>/portal/requests/<int:number>/", customer.detail, name="portal-request"),
    path("<lang:lang>/categories/<slug:slug>/", views.category, name="category"),
    path("<lang:lang>/sections/<slug:slug>/", views.section, name="section"),
    path("<lang:lang>/articles/<slug:slug>/", views.article, name="article"),
    path("<lang:lang>/articles/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("<lang:lang>/<path:rest>", views.not_found, name="not-found"),
]
