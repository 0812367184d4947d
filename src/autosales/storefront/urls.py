from django.urls import path

from autosales.storefront.views import (
    account,
    billing,
    cart,
    catalog,
    checkout,
    orders,
    payment_confirmation,
    quick_order,
    reorder,
    standing_orders,
)

app_name = "storefront"

urlpatterns = [
    # Catalog
    path("", catalog.home, name="home"),
    path("c/", catalog.categories, name="categories"),
    path("c/<slug:slug>/", catalog.category, name="category"),
    path("search/", catalog.search, name="search"),
    path("p/<slug:slug>/", catalog.product, name="product"),
    # Cart, checkout and orders
    path("cart/", cart.cart_detail, name="cart"),
    path("cart/add/", cart.cart_add, name="cart_add"),
    path("cart/lines/<str:sku>/", cart.cart_line_update, name="cart_line_update"),
    path("cart/lines/<str:sku>/remove/", cart.cart_line_remove, name="cart_line_remove"),
    path("quick-order/", quick_order.quick_order, name="quick_order"),
    path("quick-order/check/", quick_order.quick_order_check, name="quick_order_check"),
    path("cart/add-many/", quick_order.cart_add_many, name="cart_add_many"),
    path("orders/<str:public_id>/order-again/", reorder.order_again, name="order_again"),
    path("checkout/", checkout.checkout_start, name="checkout"),
    path("checkout/address/", checkout.checkout_address, name="checkout_address"),
    path("checkout/shipping/", checkout.checkout_shipping, name="checkout_shipping"),
    path("checkout/payment/", checkout.checkout_payment, name="checkout_payment"),
    path("checkout/review/", checkout.checkout_review, name="checkout_review"),
    path("checkout/confirm/", checkout.checkout_confirm, name="checkout_confirm"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<str:public_id>/", orders.order_detail, name="order_detail"),
    path("orders/<str:public_id>/confirmation/", orders.order_confirmation, name="order_confirmation"),
    path("orders/<str:public_id>/cancel/", orders.order_cancel_view, name="order_cancel"),
    # Standing orders
    path("standing-orders/", standing_orders.standing_order_list, name="standing_orders"),
    path("standing-orders/new/", standing_orders.standing_order_new, name="standing_order_new"),
    path("standing-orders/<str:public_id>/", standing_orders.standing_order_detail, name="standing_order_detail"),
    path(
        "standing-orders/<str:public_id>/payments/<str:payment_id>/confirm/",
        payment_confirmation.payment_confirm,
        name="standing_order_payment_confirm",
    ),
    path("standing-orders/<str:public_id>/skip/", standing_orders.standing_order_skip, name="standing_order_skip"),
    path(
        "standing-orders/<str:public_id>/unskip/", standing_orders.standing_order_unskip, name="standing_order_unskip"
    ),
    path("standing-orders/<str:public_id>/pause/", standing_orders.standing_order_pause, name="standing_order_pause"),
    path(
        "standing-orders/<str:public_id>/resume/", standing_orders.standing_order_resume, name="standing_order_resume"
    ),
    path(
        "standing-orders/<str:public_id>/cancel/", standing_orders.standing_order_cancel, name="standing_order_cancel"
    ),
    path(
        "standing-orders/<str:public_id>/edit/lines/",
        standing_orders.standing_order_edit_lines,
        name="standing_order_edit_lines",
    ),
    path(
        "standing-orders/<str:public_id>/edit/delivery/",
        standing_orders.standing_order_edit_delivery,
        name="standing_order_edit_delivery",
    ),
    path(
        "standing-orders/<str:public_id>/edit/schedule/",
        standing_orders.standing_order_edit_schedule,
        name="standing_order_edit_schedule",
    ),
    # Invoices, credit notes and the account's balance
    path("account/invoices/", billing.invoice_list, name="invoices"),
    path("account/invoices/pay/", billing.invoices_pay, name="invoices_pay"),
    path("account/statement/", billing.statement, name="statement"),
    path("account/invoices/<str:public_id>/", billing.invoice_detail, name="invoice_detail"),
    path("account/invoices/<str:public_id>/pdf/", billing.invoice_pdf, name="invoice_pdf"),
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
    path("account/organization/time-zone/", account.organization_time_zone, name="organization_time_zone"),
    path("account/organization/members/<str:public_id>/role/", account.member_role, name="member_role"),
    path("account/organization/members/<str:public_id>/remove/", account.member_remove, name="member_remove"),
    path(
        "account/organization/invitations/<str:public_id>/revoke/",
        account.invitation_revoke,
        name="invitation_revoke",
    ),
    path("account/invitations/<str:token>/", account.invitation_accept, name="invitation_accept"),
]
