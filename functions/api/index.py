"""API gateway function: SCF gateway event -> REST resolver -> integration response."""

from shared.api.app import handle
from shared.functions_support import function_handler
from shared.runtime.observability import logger
from shared.runtime.scf import apigw_to_rest_event, rest_to_integration_response


@function_handler
def main_handler(event, context):
    # Bad requests are answered by the resolver's error handlers, with an HTTP status.
    logger.set_correlation_id(context.aws_request_id)
    return rest_to_integration_response(handle(apigw_to_rest_event(event), context))
