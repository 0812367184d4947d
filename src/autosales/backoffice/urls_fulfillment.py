"""The clerk's pages, under /backoffice/fulfillment/ (names in the back office's namespace)."""

from django.urls import path

from autosales.backoffice import views_fulfillment

urlpatterns = [
    path("", views_fulfillment.queue, name="fulfillment_queue"),
    path("pick-list.pdf", views_fulfillment.pick_list, name="fulfillment_pick_list"),
    path("packing-slips.pdf", views_fulfillment.packing_slips, name="fulfillment_packing_slips"),
    path("orders/<str:public_id>/", views_fulfillment.order_page, name="fulfillment_order"),
]
