"""Index entries dynalite lost in a kill -9 are put back (infra/local/index_repair.py).

The crash matrix found an item PROCESSING whose ``by_active`` entry was gone after the table server
was killed mid-write. Here the same on-disk state is made on purpose: the index's LevelDB keys are
deleted while the server is down, as the kill left them.
"""

from __future__ import annotations

import shutil
import subprocess

import boto3
import pytest

from infra.local.dynalite import REPO, Dynalite
from infra.local.harness import wait_for
from infra.local.index_repair import repair_indexes

pytestmark = pytest.mark.integration

TABLE, INDEX = "crash-items", "by_state"
DROP_INDEX_JS = """
const { Level } = require(process.argv[1])
const db = new Level(process.argv[2], { valueEncoding: 'json' })
const prefix = process.argv[3]
;(async () => {
  for await (const key of db.keys({ gte: prefix, lt: prefix + '\\uffff' })) await db.del(key)
  await db.close()
})()
"""


def _client(server: Dynalite):
    return boto3.client(
        "dynamodb",
        endpoint_url=server.endpoint,
        region_name="ap-guangzhou",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _indexed(server: Dynalite) -> list[str]:
    items = _client(server).query(
        TableName=TABLE,
        IndexName=INDEX,
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": {"S": "PROCESSING"}},
    )["Items"]
    return sorted(i["id"]["S"] for i in items)


def test_an_item_whose_index_entry_the_killed_server_lost_is_indexed_again(tmp_path):
    # GIVEN a table with a sparse index and items in it (one outside the index)
    server = Dynalite(tmp_path / "table")
    server.start()
    client = _client(server)
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("id", "state")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    wait_for(lambda: client.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE", timeout=20)
    for n in range(3):
        client.put_item(TableName=TABLE, Item={"id": {"S": f"i{n}"}, "state": {"S": "PROCESSING"}})
    client.put_item(TableName=TABLE, Item={"id": {"S": "done"}})
    assert _indexed(server) == ["i0", "i1", "i2"]
    server.stop()
    # WHEN the index's entries are gone from the disk, as a kill between the writes leaves them
    subprocess.run(
        [
            shutil.which("node") or "node",
            "-e",
            DROP_INDEX_JS,
            str(REPO / "node_modules" / "level"),
            str(tmp_path / "table"),
            f"index-global~{TABLE}~{INDEX}~",
        ],
        check=True,
        timeout=60,
    )
    server.start()
    try:
        assert _indexed(server) == []  # the damage: the items are there, the index does not know them
        # THEN the repair writes back the items that belong in an index, and the index knows them again
        assert repair_indexes(server.endpoint) == 3
        assert _indexed(server) == ["i0", "i1", "i2"]
        item = client.get_item(TableName=TABLE, Key={"id": {"S": "i1"}})["Item"]
        assert item == {"id": {"S": "i1"}, "state": {"S": "PROCESSING"}}  # unchanged
    finally:
        server.stop()
