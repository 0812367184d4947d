"""The CRM pages of the back office, under /backoffice/crm/ (included by backoffice/urls.py)."""

from django.urls import path

from autosales.backoffice import views_crm, views_crm_automation, views_crm_email, views_crm_reorders, views_crm_tasks

urlpatterns = [
    path("", views_crm_tasks.my_tasks_view, name="crm_tasks"),
    path("customers/", views_crm.customers, name="crm_customers"),
    path("reorders/", views_crm_reorders.reorders, name="crm_reorders"),
    path("reorders.csv", views_crm_reorders.reorders_csv, name="crm_reorders_csv"),
    path("customers/new/", views_crm.prospect_new, name="crm_prospect_new"),
    path("customers/<str:public_id>/", views_crm.profile, name="crm_profile"),
    path("customers/<str:public_id>/edit/", views_crm.profile_edit, name="crm_profile_edit"),
    path("customers/<str:public_id>/log/", views_crm.activity_log_view, name="crm_activity_log"),
    path("customers/<str:public_id>/email/", views_crm.email_write_view, name="crm_email_write"),
    path("customers/<str:public_id>/contacts/new/", views_crm.contact_new, name="crm_contact_new"),
    path("customers/<str:public_id>/tasks/new/", views_crm_tasks.task_new, name="crm_task_new"),
    path("contacts/<str:public_id>/", views_crm.contact_detail, name="crm_contact"),
    path("contacts/<str:public_id>/remove/", views_crm.contact_remove, name="crm_contact_remove"),
    path("tasks/team/", views_crm_tasks.team_tasks_view, name="crm_team_tasks"),
    path("tasks/<str:public_id>/", views_crm_tasks.task_detail, name="crm_task"),
    path("tasks/<str:public_id>/snooze/", views_crm_tasks.task_snooze_view, name="crm_task_snooze"),
    path("tasks/<str:public_id>/reassign/", views_crm_tasks.task_reassign_view, name="crm_task_reassign"),
    path("tasks/<str:public_id>/<str:to>/", views_crm_tasks.task_status, name="crm_task_status"),
    path("inbox/", views_crm_email.inbox, name="crm_inbox"),
    path("inbox/<str:public_id>/assign/", views_crm_email.inbox_assign, name="crm_inbox_assign"),
    path("inbox/<str:public_id>/ignore/", views_crm_email.inbox_ignore, name="crm_inbox_ignore"),
    path("inbound-email/", views_crm_email.inbound_email, name="crm_inbound_email"),
    path("attachments/<str:public_id>/", views_crm_email.attachment_download, name="crm_attachment"),
    path("automation/", views_crm_automation.automation, name="crm_automation"),
    path("automation/rules/<str:code>/", views_crm_automation.rule_update, name="crm_automation_rule"),
    path("automation/steps/", views_crm_automation.step_add, name="crm_automation_step_add"),
    path("automation/steps/<int:pk>/remove/", views_crm_automation.step_remove, name="crm_automation_step_remove"),
    path("settings/", views_crm_tasks.settings_view, name="crm_settings"),
    path("settings/calendar/renew/", views_crm_tasks.calendar_renew, name="crm_calendar_renew"),
    path("calendar/<str:token>/tasks.ics", views_crm_tasks.calendar_feed_view, name="crm_calendar"),
]
