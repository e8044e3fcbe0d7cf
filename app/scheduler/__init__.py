"""Periodic work: one declarative list of jobs, run by APScheduler in its own process (or inside the
dev server), each job pushing an app context and calling one service function."""
