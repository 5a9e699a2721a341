"""``python manage.py seed_demo``: Belgian offices and facilities, demo logins, case histories.

Idempotent: a second run finds everything in place and creates nothing. Demo logins use the
password ``returnpath-demo`` (demo only; never on a real deployment).
"""

from django.core.management.base import BaseCommand

from counselling import demo


class Command(BaseCommand):
    help = "Seed the demo: offices, facilities, staff, API clients and case histories (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=demo.DEFAULT_CASES, help=f"number of demo cases (default {demo.DEFAULT_CASES})")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed (same seed, same people)")

    def handle(self, *args, cases, seed, verbosity, **options):
        log = self.stdout.write if verbosity > 1 else None
        report = demo.seed(cases=cases, seed=seed, log=log)
        states = ", ".join(f"{state} {count}" for state, count in sorted(report.states.items()))
        self.stdout.write(
            f"Demo seeded: {report.offices_created} offices, {report.users_created} users, {report.cases_created} cases created"
            + (f" ({states})" if states else "") + "."
        )
        if report.users_created:
            self.stdout.write(f"Demo logins (password {demo.DEMO_PASSWORD}): counsellor.brussels, counsellor.antwerp, "
                              "manager.brussels, coordinator, admin.")
        from cases.api.demo import ensure_demo_client

        api_client, token = ensure_demo_client()
        self.stdout.write(f"Demo API client {api_client.name} (every scope), token: {token}")
