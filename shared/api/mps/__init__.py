"""The MPS API 3.0 face of openmps: TC3-signed JSON POSTs at ``/`` for the official SDK and tccli.

One request: the gateway event -> ``request.Api3Request`` -> size, signature (``auth``), version and
action checks -> the action's module (``actions``) -> the ``{"Response": ...}`` envelope. Errors are
``MpsError`` (``errors``), with messages in the caller's language (``messages``).
"""
