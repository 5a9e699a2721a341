"""Fill the counsellor load counters from the cases (decision 060)."""

from django.db import migrations
from django.db.models import Count

TERMINAL = ("departed", "removed", "legal_stay_granted", "closed")


def fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CounsellorLoad = apps.get_model("cases", "CounsellorLoad")
    counts = (
        Case.objects.exclude(state__in=TERMINAL).filter(counsellor__isnull=False)
        .values_list("counsellor_id").annotate(n=Count("id")).values_list("counsellor_id", "n")
    )
    CounsellorLoad.objects.all().delete()
    CounsellorLoad.objects.bulk_create(
        [CounsellorLoad(counsellor_id=pk, open_cases=n) for pk, n in counts], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0018_counsellor_load")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
