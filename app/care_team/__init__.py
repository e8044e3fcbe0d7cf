"""Collaborative care: care teams, the shared care plan, measures, tasks and the caseload registry."""
