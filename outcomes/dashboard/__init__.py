"""The staff indicator dashboard: reads the stored values of a published run, never computes
indicators at request time (see docs/decisions.md, "Indicator dashboard")."""
