"""The clerk's pages, under /backoffice/fulfillment/ (names in the back office's namespace)."""

from django.urls import path

from autosales.backoffice import views_fulfillment, views_goods_in, views_replenishment, views_shipping

urlpatterns = [
    path("", views_fulfillment.queue, name="fulfillment_queue"),
    path("pick-list.pdf", views_fulfillment.pick_list, name="fulfillment_pick_list"),
    path("packing-slips.pdf", views_fulfillment.packing_slips, name="fulfillment_packing_slips"),
    path("orders/<str:public_id>/", views_shipping.order_page, name="fulfillment_order"),
    path("orders/<str:public_id>/ship/", views_shipping.order_ship, name="fulfillment_ship"),
    path("orders/<str:public_id>/cancel-rest/", views_shipping.order_cancel_rest, name="fulfillment_cancel_rest"),
    path("shipments/<str:public_id>/delivered/", views_shipping.shipment_delivered, name="fulfillment_delivered"),
    path("receive/", views_goods_in.receive, name="fulfillment_receive"),
    path("receive/csv/", views_goods_in.receive_csv, name="fulfillment_receive_csv"),
    path("replenishment/", views_replenishment.replenishment, name="fulfillment_replenishment"),
    path("replenishment.csv", views_replenishment.replenishment_csv, name="fulfillment_replenishment_csv"),
]
