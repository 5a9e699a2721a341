"""The REST API for external systems (DESIGN §6): orders in, legal events in, case status out."""
