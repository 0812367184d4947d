"""The demo's automation: the first-order rule set to email a welcome, the overdue-invoice call after ten days, and
a chain (a follow-up call nobody answered comes back two days later; a customer interested in a standing order
gets a task to set it up)."""

from __future__ import annotations

from autosales.crm.automation import rule_save
from autosales.crm.chains import step_save
from autosales.crm.models import AutomationRule, RuleStep

STEPS = [
    ("order_delivered", "no_answer", "Call {customer} again about their delivery", "call", 2),
    ("order_delivered", "interested_standing_order", "Set up {customer}'s standing order", "todo", 1),
    ("first_order", "no_answer", "Call {customer} again to welcome them", "call", 2),
    ("invoice_overdue", "call_back", "Call {customer} back about the invoice", "call", 3),
    ("reorder_due", "interested_standing_order", "Set up {customer}'s standing order", "todo", 1),
]


def demo_automation_load() -> int:
    """The rule settings and chain steps exist (once: what people changed while trying the demo stays)."""
    if AutomationRule.objects.exists() or RuleStep.objects.exists():
        return 0
    rule_save(code="first_order", enabled=True, days=0, action=AutomationRule.Action.EMAIL)
    rule_save(code="invoice_overdue", enabled=True, days=10)
    for rule, outcome, title, kind, days in STEPS:
        step_save(rule=rule, outcome=outcome, title=title, kind=kind, days=days)
    return 2 + len(STEPS)
