"""MPS workflows (COS upload trigger rules) over our workflows: the request fields onto a
``WorkflowRequest`` (``rule``), the MPS task lists onto subtask entries (``tasks``), and a rule back
as a ``WorkflowInfo`` (``info``)."""
