"""API gateway function: SCF gateway event -> REST resolver -> integration response."""

from shared.api.app import app
from shared.runtime.observability import logger
from shared.runtime.scf import ScfContext, apigw_to_rest_event, rest_to_integration_response


def main_handler(event, context):
    ctx = ScfContext(context)
    logger.set_correlation_id(ctx.aws_request_id)
    return rest_to_integration_response(app.resolve(apigw_to_rest_event(event), ctx))
