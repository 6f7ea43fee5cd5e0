"""Re-writes the index entries dynalite may have lost when it was killed mid-write.

dynalite writes an item and its secondary-index entries as separate LevelDB writes, so a kill -9
between them can leave an item whose index entry is missing: found by the crash matrix, a subtask
PROCESSING in its table whose entry in ``by_active`` was gone, so the reconciler never saw it and
the task stayed PROCESSING for ever. Any write of an item makes dynalite put all of its index
entries again, so after an unclean end of the table server every item that belongs in an index is
written back unchanged, on the condition that its index keys still hold the values read (a
function that changed it meanwhile has refreshed the entries itself).

(An index entry left behind for keys the item no longer has is not repaired; readers of an index
re-check the item with a conditional write, so such an entry costs a failed condition, not a task.)
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError


def _client(endpoint: str, region: str) -> Any:
    # botocore, as pynamodb uses it (boto3 is only a test dependency)
    return botocore.session.get_session().create_client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )


def _index_keys(table: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for index in [*table.get("GlobalSecondaryIndexes", []), *table.get("LocalSecondaryIndexes", [])]:
        names.extend(k["AttributeName"] for k in index["KeySchema"] if k["AttributeName"] not in names)
    return names


def repair_indexes(endpoint: str, region: str = "ap-guangzhou") -> int:
    """Write back every item that has an index key attribute; returns how many were written."""
    client = _client(endpoint, region)
    written = 0
    for name in client.list_tables()["TableNames"]:
        table = client.describe_table(TableName=name)["Table"]
        index_keys = _index_keys(table)
        if not index_keys:
            continue
        primary = [k["AttributeName"] for k in table["KeySchema"]]
        for page in client.get_paginator("scan").paginate(TableName=name):
            for item in page["Items"]:
                written += _touch(client, name, item, primary, [k for k in index_keys if k in item])
    return written


def _touch(client: Any, table: str, item: dict[str, Any], primary: list[str], present: list[str]) -> int:
    if not present:
        return 0
    names = {f"#k{i}": key for i, key in enumerate(present)}
    values = {f":v{i}": item[key] for i, key in enumerate(present)}
    try:
        client.update_item(
            TableName=table,
            Key={k: item[k] for k in primary},
            UpdateExpression="SET #k0 = :v0",
            ConditionExpression=" AND ".join(f"#k{i} = :v{i}" for i in range(len(present))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return 0  # changed meanwhile: that write refreshed its index entries
        raise
    return 1
