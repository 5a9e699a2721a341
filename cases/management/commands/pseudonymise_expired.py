from django.core.management.base import BaseCommand

from cases.services.retention import pseudonymise_expired_cases


class Command(BaseCommand):
    help = "Pseudonymise people whose cases all ended longer ago than RETURNPATH_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count who would be pseudonymised; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        count = pseudonymise_expired_cases(dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{count} people would be pseudonymised (dry run: nothing changed).")
        else:
            self.stdout.write(f"{count} people pseudonymised.")
