"""Reconciler (timer trigger): heals lost invocations and dead workers."""

from shared.composition import default_deps
from shared.functions_support import function_handler
from shared.services.reconcile import reconcile


@function_handler
def main_handler(event, context):
    return vars(reconcile(default_deps()))
