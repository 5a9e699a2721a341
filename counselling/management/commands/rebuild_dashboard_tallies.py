"""Recount the dashboards' tallies from the case and conversation tables (decision 065).

Never needed in normal operation (triggers keep them in the transaction of every change); run
it after restoring some tables but not others, or after loading cases with triggers disabled.
"""

from django.core.management.base import BaseCommand, CommandError

from counselling.dashboards import tally


class Command(BaseCommand):
    help = "Recount the dashboards' case and conversation tallies from the tables (PostgreSQL)."

    def handle(self, *args, **options):
        if not tally.available():
            raise CommandError("The tallies exist only on PostgreSQL; elsewhere the dashboards compute live.")
        tally.rebuild()
        self.stdout.write("Tallies recounted.")
