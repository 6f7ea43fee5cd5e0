from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from shared.api.deps import deps
from shared.api.openapi_doc import answers
from shared.api.schemas import UploadTicket
from shared.services.requests import UploadRequest
from shared.services.uploads import create_upload

router = APIGatewayRouter()


def _account() -> str:
    return router.context["account"]


@router.post(
    "/api/v1/uploads",
    summary="Get a signed URL to PUT a file into the input bucket",
    tags=["uploads"],
    responses=answers(403, body=True),
)
def new_upload(body: UploadRequest) -> UploadTicket:
    return UploadTicket.model_validate(create_upload(deps(), _account(), body.filename, body.key))
