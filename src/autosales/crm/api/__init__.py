"""The CRM API: `schemas` (request and response bodies), `serializers` (models as the responses show them) and
`operations` (the router and its endpoints), mounted by `autosales.api.urls` under /api/v1/crm."""

from autosales.crm.api.operations import router

__all__ = ["router"]
