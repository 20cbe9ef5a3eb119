"""The state machines: each state enum with its one transition table (an illegal move raises)."""
