"""python manage.py seed_volume --cases 1000000 --seed 1 — realistic volume for measurements (COPY).

Refuses to run on a database that holds cases it did not generate; with ``--reuse`` it keeps the
generated cases already there and adds only what is missing to reach ``--cases``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from counselling.volume import VolumeRefused, counsellors_for, describe, generated_case_count, seed_volume


class Command(BaseCommand):
    help = "Fill a PostgreSQL database with N generated cases and their history (for benchmarks; never on real data)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--cases", type=int, default=1_000_000, help="cases to add (default 1,000,000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument("--counsellors", type=int, default=None,
                            help="counsellors over the regional offices (default: two per thousand cases, at least one per office)")
        parser.add_argument("--reuse", action="store_true", help="keep the generated cases there are and add only what is missing to reach --cases")

    def handle(self, *args, cases: int, seed: int, counsellors: int, reuse: bool, **options) -> None:
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        counsellors = counsellors_for(cases) if counsellors is None else counsellors  # of the whole register, reuse or not
        if reuse:
            generated, other = generated_case_count()
            if generated >= cases and not other:
                self.stdout.write(f"{generated:,} generated cases are there already: reused.")
                return
            cases -= generated
        try:
            report = seed_volume(cases=cases, seed=seed, counsellors=counsellors, log=self.stdout.write)
        except VolumeRefused as refused:
            raise CommandError(str(refused)) from refused
        self.stdout.write(self.style.SUCCESS(
            f"{report.cases:,} cases in {report.seconds:.0f} s ({report.cases / max(report.seconds, 0.001):,.0f} cases/s); "
            f"{describe(report.rows.items())}; {report.counsellors:,} counsellors."
        ))
