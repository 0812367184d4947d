"""The standing-orders API: `schemas` (request and response bodies), `serializers` (models as the responses
show them) and `operations` (the router and its endpoints), mounted by `autosales.api.urls`."""

from autosales.recurring.api.operations import router

__all__ = ["router"]
