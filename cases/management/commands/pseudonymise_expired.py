from django.core.management.base import BaseCommand

from cases.services.retention import pseudonymise_expired_cases


class Command(BaseCommand):
    help = "Pseudonymise people whose cases all ended longer ago than RETURNPATH_RETENTION_DAYS."

    def handle(self, *args, **options):
        count = pseudonymise_expired_cases()
        self.stdout.write(f"{count} people pseudonymised.")
