"""Compare the counsellor load counters with the cases; ``--fix`` sets them right (decision 060)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.services.load import load_mismatches, recompute_loads


class Command(BaseCommand):
    help = "Check (and with --fix correct) the open-case counter of every counsellor against the cases."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Set every wrong counter to the real count.")

    def handle(self, *args, fix: bool = False, **options):
        with transaction.atomic():
            mismatches = load_mismatches()
            for pk, (kept, real) in sorted(mismatches.items()):
                self.stdout.write(f"counsellor {pk}: counter {kept}, open cases {real}")
            if fix and mismatches:
                recompute_loads()
        if not mismatches:
            self.stdout.write("Every counsellor load counter is right.")
        elif fix:
            self.stdout.write(f"{len(mismatches)} counters corrected.")
        else:
            raise CommandError(f"{len(mismatches)} counters differ from the cases; run with --fix.")
