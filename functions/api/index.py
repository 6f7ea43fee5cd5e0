"""API gateway function: SCF gateway event -> REST resolver, or the MPS API 3.0 for a POST at the
root -> integration response."""

from shared.api.app import handle
from shared.api.deps import deps
from shared.api.mps.handler import handle as handle_api3
from shared.api.mps.request import is_api3
from shared.api.rate_gate import refusal_in_function
from shared.functions_support import function_handler
from shared.runtime.observability import logger
from shared.runtime.scf import apigw_to_rest_event, rest_to_integration_response


@function_handler
def main_handler(event, context):
    # Bad requests are answered by the resolver's error handlers (REST, with an HTTP status) or by
    # the API 3.0 error mapper (HTTP 200 with the MPS error envelope).
    logger.set_correlation_id(context.aws_request_id)
    refused = refusal_in_function(event, deps())  # on SCF; the local gateway decided already
    if refused is not None:
        return refused
    if is_api3(event):
        return handle_api3(event, deps())
    return rest_to_integration_response(handle(apigw_to_rest_event(event), context))
