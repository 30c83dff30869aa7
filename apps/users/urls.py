"""The account pages, each sent with ``Cache-Control: no-store`` (``never_cache``).

They show someone's address, a sign-in or reset form with its CSRF token, or a
message meant for one person at one moment: a shared computer's back button
or disk cache must not hand them to the next person. Django marks only some
of its auth views so (login, logout, the reset link); here every page is.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.decorators.cache import never_cache

from . import two_factor_views, views

app_name = "users"

urlpatterns = [
    path("login/", never_cache(views.LoginView.as_view()), name="login"),
    path("logout/", never_cache(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "password_change/",
        never_cache(
            views.PasswordChangeView.as_view(success_url=reverse_lazy("users:password_change_done"))
        ),
        name="password_change",
    ),
    path(
        "password_change/done/",
        never_cache(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        never_cache(
            views.PasswordResetView.as_view(success_url=reverse_lazy("users:password_reset_done"))
        ),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        never_cache(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        never_cache(
            views.PasswordResetConfirmView.as_view(
                success_url=reverse_lazy("users:password_reset_complete")
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        never_cache(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("profile/", never_cache(views.profile), name="profile"),
    # Marked never_cache in the views themselves (they show secrets once).
    path("two-factor/", two_factor_views.manage, name="two_factor"),
    path("two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("two-factor/code/", two_factor_views.verify, name="two_factor_verify"),
]
