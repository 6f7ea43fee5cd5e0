"""COS upload trigger: one task per matching workflow rule; duplicates create nothing new."""

from shared.composition import default_deps
from shared.domain.errors import BadInputError
from shared.runtime.observability import logger
from shared.runtime.scf import ScfContext
from shared.services.trigger import handle_cos_event


@logger.inject_lambda_context(clear_state=True)
def _handle(event, context):
    try:
        outcomes = handle_cos_event(default_deps(), event)
    except BadInputError as exc:
        # A malformed event will never parse: log it and do not ask for a retry.
        logger.error("rejected event", extra={"code": exc.code, "reason": exc.message})
        return {"error": {"code": exc.code, "message": exc.message}}
    return {"tasks": [vars(o) for o in outcomes]}


def main_handler(event, context):
    return _handle(event, ScfContext(context))
