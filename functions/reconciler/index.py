"""Reconciler (timer trigger): heals lost invocations and dead workers."""

from shared.composition import default_deps
from shared.runtime.observability import logger
from shared.runtime.scf import ScfContext
from shared.services.reconcile import reconcile


@logger.inject_lambda_context(clear_state=True)
def _handle(event, context):
    return vars(reconcile(default_deps()))


def main_handler(event, context):
    return _handle(event, ScfContext(context))
