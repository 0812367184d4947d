from django.urls import path

from autosales.backoffice import views, views_orders

app_name = "backoffice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Orders
    path("orders/", views_orders.orders, name="orders"),
    path("orders/<str:public_id>/", views_orders.order_detail, name="order_detail"),
    path("orders/<str:public_id>/cancel/", views_orders.order_cancel_view, name="order_cancel"),
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
]
