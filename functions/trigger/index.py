"""COS upload trigger: one task per matching workflow rule; duplicates create nothing new."""

from shared.composition import default_deps
from shared.functions_support import function_handler
from shared.services.trigger import handle_cos_event


@function_handler
def main_handler(event, context):
    # A malformed event raises BadInputError: the decorator logs it and answers without a retry.
    return {"tasks": [vars(o) for o in handle_cos_event(default_deps(), event)]}
