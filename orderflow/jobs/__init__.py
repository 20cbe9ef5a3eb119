"""RQ jobs: thin functions that load state, call the domain and the adapters, and persist.

A job module never imports another job module: a job that starts another enqueues it by name
(`queue.calls.call`), and one that runs another's step here does so by name too
(`queue.calls.run`); queue/registry.py declares every name. failures.py, the one module every
job module imports, defines no job.
"""
