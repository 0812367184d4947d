from django.urls import include, path

from autosales.backoffice import views, views_orders, views_standing_orders

app_name = "backoffice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/<slug:slug>.csv", views.dashboard_csv, name="dashboard_csv"),
    # Orders
    path("orders/", views_orders.orders, name="orders"),
    path("orders/<str:public_id>/", views_orders.order_detail, name="order_detail"),
    path("orders/<str:public_id>/cancel/", views_orders.order_cancel_view, name="order_cancel"),
    # Standing orders and the demand forecast
    path("standing-orders/", views_standing_orders.standing_orders, name="standing_orders"),
    path("standing-orders/new/", views_standing_orders.standing_order_new_choose, name="standing_order_new_choose"),
    path(
        "standing-orders/new/<str:organization_public_id>/",
        views_standing_orders.standing_order_new,
        name="standing_order_new",
    ),
    path(
        "standing-orders/<str:public_id>/",
        views_standing_orders.standing_order_detail,
        name="standing_order_detail",
    ),
    path(
        "standing-orders/<str:public_id>/skip/", views_standing_orders.standing_order_skip, name="standing_order_skip"
    ),
    path(
        "standing-orders/<str:public_id>/unskip/",
        views_standing_orders.standing_order_unskip,
        name="standing_order_unskip",
    ),
    path(
        "standing-orders/<str:public_id>/pause/",
        views_standing_orders.standing_order_pause,
        name="standing_order_pause",
    ),
    path(
        "standing-orders/<str:public_id>/resume/",
        views_standing_orders.standing_order_resume,
        name="standing_order_resume",
    ),
    path(
        "standing-orders/<str:public_id>/cancel/",
        views_standing_orders.standing_order_cancel,
        name="standing_order_cancel",
    ),
    path(
        "standing-orders/<str:public_id>/edit/lines/",
        views_standing_orders.standing_order_edit_lines,
        name="standing_order_edit_lines",
    ),
    path(
        "standing-orders/<str:public_id>/edit/delivery/",
        views_standing_orders.standing_order_edit_delivery,
        name="standing_order_edit_delivery",
    ),
    path(
        "standing-orders/<str:public_id>/edit/schedule/",
        views_standing_orders.standing_order_edit_schedule,
        name="standing_order_edit_schedule",
    ),
    path("forecast/", views_standing_orders.forecast, name="forecast"),
    path("forecast.csv", views_standing_orders.forecast_csv, name="forecast_csv"),
    # Fulfillment: the clerk's queue, pick lists, shipping, goods in, replenishment
    path("fulfillment/", include("autosales.backoffice.urls_fulfillment")),
    # Billing: invoices, payments received, receivables
    path("billing/", include("autosales.backoffice.urls_billing")),
    # Jobs, outbox, mailbox, notifications
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<str:name>/run/", views.job_run, name="job_run"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<str:public_id>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<str:public_id>/html/", views.email_html, name="email_html"),
    path("outbox/<str:public_id>/resend/", views.outbox_resend, name="outbox_resend"),
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<str:public_id>/", views.mailbox_detail, name="mailbox_detail"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<str:public_id>/read/", views.notification_read, name="notification_read"),
    path("crm/", include("autosales.backoffice.urls_crm")),
]
