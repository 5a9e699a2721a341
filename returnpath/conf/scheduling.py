"""Settings of the scheduling work (imported at the end of returnpath.settings)."""
