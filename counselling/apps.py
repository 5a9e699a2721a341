from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounsellingConfig(AppConfig):
    name = "counselling"
    verbose_name = _("Counselling")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cases.signals import case_assigned, case_opened, case_state_changed, cases_opened
        from counselling import receivers, services
        from counselling.models import Conversation
        from counselling.signals import conversation_planned

        case_state_changed.connect(services.cancel_planned_when_counselling_ends, dispatch_uid="counselling.cancel_planned")
        case_state_changed.connect(receivers.plan_when_counselling_resumes, dispatch_uid="counselling.plan_on_state")
        case_opened.connect(receivers.plan_intake_when_case_opened, dispatch_uid="counselling.plan_intake")
        cases_opened.connect(receivers.plan_intakes_when_cases_opened, dispatch_uid="counselling.plan_intakes")
        case_assigned.connect(services.hand_over_planned_conversation, dispatch_uid="counselling.hand_over")
        conversation_planned.connect(receivers.invite_when_planned, dispatch_uid="counselling.invite")
        post_save.connect(receivers.plan_after_outcome, sender=Conversation, dispatch_uid="counselling.plan_after_outcome")

        from counselling import observability

        observability.register()  # messages, sweeps and heartbeats at /metrics and /readyz

        from counselling import case_side

        case_side.register()  # the conversations cases may read, through cases.conversations
