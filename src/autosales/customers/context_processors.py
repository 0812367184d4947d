from autosales.customers.selectors import organization_for_user


def customer(request):
    """`buys_for_organization` for the header's customer-only links, looked up only when a template asks (staff)."""
    return {"buys_for_organization": lambda: organization_for_user(user=request.user) is not None}
