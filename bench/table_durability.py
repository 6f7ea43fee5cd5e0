"""Does kill -9 of dynalite lose or roll back writes it acknowledged? Threads do conditional
increments (value == expected -> expected+1) and record each acknowledged value; dynalite is
killed -9 at a random moment; after restart every item must hold at least its last acked value.

Run (not in CI): python -m bench.table_durability <data dir> <rounds>
"""

import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

from infra.local.dynalite import Dynalite

data = Path(sys.argv[1])
rounds = int(sys.argv[2])
lost = 0
acked_total = 0
for r in range(rounds):
    d = Dynalite(data)
    d.start()
    c = boto3.client(
        "dynamodb",
        endpoint_url=d.endpoint,
        region_name="ap-guangzhou",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=2),
    )
    if r == 0:
        c.create_table(
            TableName="dur",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        time.sleep(1)
    acked = {}

    def work(k, c=c, acked=acked):
        try:
            cur = int(
                c.get_item(TableName="dur", Key={"k": {"S": k}}, ConsistentRead=True)
                .get("Item", {})
                .get("v", {})
                .get("N", 0)
            )
        except Exception:
            return
        acked[k] = cur
        while True:
            try:
                c.update_item(
                    TableName="dur",
                    Key={"k": {"S": k}},
                    UpdateExpression="SET v = :n, h = :h",
                    ConditionExpression="attribute_not_exists(v) OR v = :c",
                    ExpressionAttributeValues={
                        ":n": {"N": str(cur + 1)},
                        ":c": {"N": str(cur)},
                        ":h": {"S": "x" * 2000},
                    },
                )
            except c.exceptions.ConditionalCheckFailedException:
                return
            except Exception:
                return
            cur += 1
            acked[k] = cur

    ts = [threading.Thread(target=work, args=(f"k{i}",)) for i in range(8)]
    [t.start() for t in ts]
    time.sleep(random.uniform(0.5, 2.0))
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    [t.join() for t in ts]
    d.proc = None
    d2 = Dynalite(data)
    d2.start()
    c2 = boto3.client(
        "dynamodb",
        endpoint_url=d2.endpoint,
        region_name="ap-guangzhou",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    for k, v in acked.items():
        got = int(
            c2.get_item(TableName="dur", Key={"k": {"S": k}}, ConsistentRead=True)
            .get("Item", {})
            .get("v", {})
            .get("N", 0)
        )
        acked_total += v
        if got < v:
            lost += 1
            print(f"round {r}: {k} acked {v}, read back {got}")
    d2.stop()
print(f"rounds {rounds}: acked increments {acked_total}, items behind their last ack: {lost}")
