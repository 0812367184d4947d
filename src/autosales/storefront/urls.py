from django.urls import path

from autosales.storefront.views import account, catalog

app_name = "storefront"

urlpatterns = [
    # Catalog
    path("", catalog.home, name="home"),
    path("c/", catalog.categories, name="categories"),
    path("c/<slug:slug>/", catalog.category, name="category"),
    path("search/", catalog.search, name="search"),
    path("p/<slug:slug>/", catalog.product, name="product"),
    # Account
    path("account/signin/", account.SignInView.as_view(), name="signin"),
    path("account/signout/", account.SignOutView.as_view(), name="signout"),
    path("account/signup/", account.signup, name="signup"),
    path("account/password-reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path("account/password-reset/sent/", account.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "account/password-reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("account/password-reset/done/", account.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("account/", account.profile, name="profile"),
    path("account/addresses/", account.addresses, name="addresses"),
    path("account/addresses/add/", account.address_add, name="address_add"),
    path("account/addresses/<str:public_id>/", account.address_edit, name="address_edit"),
    path("account/addresses/<str:public_id>/delete/", account.address_delete, name="address_delete"),
    path("account/addresses/<str:public_id>/default/", account.address_default, name="address_default"),
    path("account/organization/", account.organization, name="organization"),
    path("account/organization/switch/", account.organization_switch, name="organization_switch"),
    path("account/organization/invite/", account.organization_invite, name="organization_invite"),
    path("account/organization/members/<str:public_id>/role/", account.member_role, name="member_role"),
    path("account/organization/members/<str:public_id>/remove/", account.member_remove, name="member_remove"),
    path(
        "account/organization/invitations/<str:public_id>/revoke/",
        account.invitation_revoke,
        name="invitation_revoke",
    ),
    path("account/invitations/<str:token>/", account.invitation_accept, name="invitation_accept"),
]
