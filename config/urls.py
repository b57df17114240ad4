from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


class FaviconView(RedirectView):
    """The icon's URL is looked up per request: in production it is the hashed name from
    the collected static files' manifest, which does not exist when the URLs are loaded
    (``manage.py check`` and ``collectstatic`` itself run before it does)."""

    def get_redirect_url(self, *args, **kwargs):
        return static("incidents/favicon.svg")


urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("incidents.urls")),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's).
    path("favicon.ico", FaviconView.as_view()),
]
