"""Reaching the person (issue 14): invitations in the person's own language, the person's own
answer page behind a signed link, and delivery reports from the message backends."""
