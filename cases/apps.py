from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases import followups
        from cases.returns.services.care import cancel_removal_on_state_change
        from cases.returns.services.referrals import follow_referral_on_state_change

        # The return work follows the trajectory: referrals and planned removals end with it.
        followups.register(followups.StateChanged, follow_referral_on_state_change)
        followups.register(followups.StateChanged, cancel_removal_on_state_change)

        from django.db.models.signals import post_delete, post_save

        from cases.models import Playbook
        from offices.reference import forget_reference_data

        post_save.connect(forget_reference_data, sender=Playbook, dispatch_uid="cases.forget.playbook.save")
        post_delete.connect(forget_reference_data, sender=Playbook, dispatch_uid="cases.forget.playbook.delete")

        from cases import observability

        observability.register()  # open cases at /metrics: the project package never imports the apps
