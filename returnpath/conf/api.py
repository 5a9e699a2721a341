"""Settings of the api work (imported at the end of returnpath.settings)."""
