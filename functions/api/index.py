"""API gateway function: SCF gateway event -> REST resolver -> integration response."""

from shared.api.app import handle
from shared.runtime.observability import logger
from shared.runtime.scf import ScfContext, apigw_to_rest_event, rest_to_integration_response


def main_handler(event, context):
    ctx = ScfContext(context)
    logger.set_correlation_id(ctx.aws_request_id)
    return rest_to_integration_response(handle(apigw_to_rest_event(event), ctx))
