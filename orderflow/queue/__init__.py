"""The job queue (RQ, or in-process), the outbox that feeds it, the clock that keeps it moving,
and the registry that names every job."""
