"""Tiny SCF handlers for the local runtime's tests (tests/integration/test_local_runtime.py)."""
