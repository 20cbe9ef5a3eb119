"""The domain: validation and holds, packing, carrier choice, tracking, notices, the shop's settings
and the state machines. Pure: the standard library only, and nothing of ours outside fulfilment/
(tests/test_architecture.py checks it), so every rule here is fast to test on plain values."""
