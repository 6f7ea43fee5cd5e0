"""What the generic template actions need to know about one MPS template family.

A family is one MPS noun (``TranscodeTemplate``, ``SampleSnapshotTemplate``, ...) over one or more
of our subtask kinds (a kind and, for Snapshot, its variant). Its module maps the MPS fields onto
the kind's parameters JSON and back; the catalog service validates and stores them as it does for
the REST API, dry run included, so both faces share one template model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.api.mps.templates.fields import Fields

# (kind, variant); the variant is "" for kinds without variants.
KindKey = tuple[str, str]
# MPS request fields (and, when modifying, the stored parameters JSON) -> (kind, parameters JSON).
ToParams = Callable[[Fields, KindKey | None, dict[str, Any] | None], tuple[KindKey, dict[str, Any]]]
# A template as the catalog shows it (flat: identity fields, then the parameters) -> MPS item fields.
ToItem = Callable[[dict[str, Any]], dict[str, Any]]
# Extra Describe filters of the family (Transcode's ContainerType, TranscodeType).
Filter = Callable[[Fields], Callable[[dict[str, Any]], bool]]


@dataclass(frozen=True)
class TemplateFamily:
    noun: str  # Create<noun>, Modify<noun>, Delete<noun>, Describe<noun>s
    set_name: str  # the Describe response's list: "TranscodeTemplateSet"
    kinds: tuple[KindKey, ...]
    to_params: ToParams
    to_item: ToItem
    # Our parameter name (the last part of a service error's field) -> (MPS error code, MPS field path).
    codes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    definition_as_text: bool = False  # TranscodeTemplate.Definition is a str in the SDK
    describe_filter: Filter | None = None

    def covers(self, view: dict[str, Any]) -> bool:
        variant = str(view.get("kind") or "") if "kind" in view else ""
        return (view["type"], variant) in self.kinds

    def kind_of(self, item: dict[str, Any]) -> KindKey | None:
        """The (kind, variant) of a stored custom template, if this family covers it."""
        key = (str(item["type"]), str(item["params"].get("kind", "")))  # only Snapshot's params have a kind
        return key if key in self.kinds else None
