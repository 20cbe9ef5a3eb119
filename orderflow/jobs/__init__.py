"""RQ jobs: thin functions that load state, call the domain and the adapters, and persist."""
