from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "offices"
    verbose_name = _("Offices and facilities")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from offices.models import Membership, Office, ServiceArea
        from offices.reference import forget_reference_data

        for model in (Office, ServiceArea, Membership):
            post_save.connect(forget_reference_data, sender=model, dispatch_uid=f"offices.forget.{model.__name__}.save")
            post_delete.connect(forget_reference_data, sender=model, dispatch_uid=f"offices.forget.{model.__name__}.delete")
