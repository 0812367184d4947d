"""Back-office CRM automation: every rule with its switch, offset, action and email, and the chain steps that make
a task's next task from its outcome. Managers change them; salespeople see them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from autosales.backoffice.views_crm import crm_page
from autosales.core.errors import DomainError
from autosales.crm.automation import RULES, rule_save, rule_settings
from autosales.crm.chains import STEP_PLACEHOLDERS, chain_steps, step_delete, step_save
from autosales.crm.forms import RuleForm, RuleStepForm, domain_error_to_form
from autosales.crm.models import RuleStep
from autosales.crm.permissions import automation_allowed
from autosales.crm.rules import PLACEHOLDERS


def _required(request, action: str) -> None:
    if not automation_allowed(user=request.user, action=action):
        raise PermissionDenied(
            "Only managers change the automation rules." if action != "view" else "Not for your role."
        )


def _rule_form(setting) -> RuleForm:
    return RuleForm(
        initial={
            "enabled": setting.enabled,
            "days": setting.days,
            "action": setting.action,
            "email_subject": setting.email_subject,
            "email_body": setting.email_body,
        },
        spec=setting.spec,
        prefix=setting.spec.code,
    )


def _page(request, *, bound: dict | None = None, step_form=None, status=200):
    settings = rule_settings()
    bound = bound or {}
    rows = [
        {
            "setting": setting,
            "form": bound.get(code) or _rule_form(setting),
            "placeholders": [(name, PLACEHOLDERS.get(name, "")) for name in setting.spec.placeholders],
        }
        for code, setting in settings.items()
    ]
    steps = chain_steps()
    labels = {code: spec.label for code, spec in RULES.items()}
    return render(
        request,
        "backoffice/crm/automation.html",
        {
            "rows": rows,
            "steps": [(step, labels.get(step.rule, step.rule)) for step in steps],
            "step_form": step_form or RuleStepForm(rules=RULES.values()),
            "step_placeholders": STEP_PLACEHOLDERS,
            "can_change": automation_allowed(user=request.user, action="change"),
        },
        status=status,
    )


@crm_page
@require_GET
def automation(request):
    _required(request, "view")
    return _page(request)


@crm_page
@require_POST
def rule_update(request, code: str):
    _required(request, "change")
    spec = RULES.get(code)
    if spec is None:
        raise Http404("No such rule.")
    form = RuleForm(request.POST, prefix=code, spec=spec)
    if form.is_valid():
        data = form.cleaned_data
        current = rule_settings()[code]
        try:
            rule_save(
                code=code,
                enabled=data["enabled"],
                days=data["days"],
                action=data.get("action", current.action),
                email_subject=data.get("email_subject", ""),
                email_body=data.get("email_body", ""),
            )
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, f"“{spec.label}” is saved.")
            return redirect("backoffice:crm_automation")
    return _page(request, bound={code: form}, status=400)


@crm_page
@require_POST
def step_add(request):
    _required(request, "change")
    form = RuleStepForm(request.POST, rules=RULES.values())
    if form.is_valid():
        try:
            step_save(**form.cleaned_data)
        except DomainError as exc:
            domain_error_to_form(form, exc)
        else:
            messages.success(request, "The chain step is added.")
            return redirect("backoffice:crm_automation")
    return _page(request, step_form=form, status=400)


@crm_page
@require_POST
def step_remove(request, pk: int):
    _required(request, "change")
    step = RuleStep.objects.filter(pk=pk).first()
    if step is None:
        raise Http404("No such chain step.")
    step_delete(step=step)
    messages.success(request, "The chain step is removed.")
    return redirect("backoffice:crm_automation")
