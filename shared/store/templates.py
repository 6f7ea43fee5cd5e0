"""Custom templates of an account."""

from __future__ import annotations

from typing import Any

from shared.runtime.settings import Settings
from shared.store.conditional import _conditional, _LostCondition
from shared.store.models import TemplateModel, bind_models


def _to_dict(item: TemplateModel) -> dict[str, Any]:
    return {
        "definition": int(item.definition),
        "type": item.type,
        "name": item.name,
        "comment": item.comment or "",
        "params": dict(item.params or {}),
        "create_time": item.create_time,
        "update_time": item.update_time,
    }


class TemplateStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(settings)

    def list(self, account: str) -> list[dict[str, Any]]:
        return [_to_dict(i) for i in TemplateModel.query(account)]

    def get(self, account: str, definition: int) -> dict[str, Any] | None:
        try:
            return _to_dict(TemplateModel.get(account, definition, consistent_read=True))
        except TemplateModel.DoesNotExist:
            return None

    def create(
        self, account: str, definition: int, type_: str, name: str, comment: str, params: dict[str, Any], now: str
    ) -> dict[str, Any]:
        item = TemplateModel(
            account, definition, type=type_, name=name, comment=comment, params=params, create_time=now, update_time=now
        )
        item.save(condition=TemplateModel.definition.does_not_exist())
        return _to_dict(item)

    def update(self, account: str, definition: int, name: str, comment: str, params: dict[str, Any], now: str) -> bool:
        try:
            with _conditional():
                TemplateModel(account, definition).update(
                    actions=[
                        TemplateModel.name.set(name),
                        TemplateModel.comment.set(comment),
                        TemplateModel.params.set(params),
                        TemplateModel.update_time.set(now),
                    ],
                    condition=TemplateModel.definition.exists(),
                )
            return True
        except _LostCondition:
            return False

    def delete(self, account: str, definition: int) -> bool:
        try:
            with _conditional():
                TemplateModel(account, definition).delete(condition=TemplateModel.definition.exists())
            return True
        except _LostCondition:
            return False
