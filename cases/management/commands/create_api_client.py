"""Create an API client (or add a token to an existing one) and print the new token once."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from cases.api.auth import ALL_SCOPES, create_client_token


class Command(BaseCommand):
    help = (
        "Create an API client with its service user and print a new token (shown once, stored hashed). "
        "With an existing NAME, a new token is added (and --scopes, when given, replace its scopes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scopes", default="", help=f"Comma-separated, from: {', '.join(ALL_SCOPES)}")
        parser.add_argument("--expires-days", type=int, default=None, help="Token lifetime in days (default: no expiry).")
        parser.add_argument("--region", default="", help="Issuing region (province) used when an order has no postcode.")
        parser.add_argument("--throttle-rate", default=None, help='e.g. "600/min"')

    def handle(self, *args, name, scopes, expires_days, region, throttle_rate, **options):
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        if expires_days is not None and expires_days <= 0:
            raise CommandError("--expires-days must be a positive number of days.")
        try:
            client, created, token = create_client_token(
                name=name, scopes=wanted, issuing_region=region, throttle_rate=throttle_rate,
                expires_in=dt.timedelta(days=expires_days) if expires_days else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if created and not wanted:
            self.stderr.write("Warning: the client has no scopes; it can authenticate but do nothing.")
        what = "Created API client" if created else "New token for API client"
        self.stderr.write(f"{what} {client.name!r} (scopes: {', '.join(client.scopes) or 'none'}). "
                          "The token is shown once; store it now:")
        self.stdout.write(token)
