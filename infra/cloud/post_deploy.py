"""What `sls deploy` (multi-scf) does not set, as tccli commands built from serverless.yml:
reserved concurrency (SCF reserves it in MB: memory x instances) and the async retry policy of
the functions invoked with InvocationType=Event. Print them, review, run them:

    set -a; . ./.env; set +a; python -m infra.cloud.post_deploy
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from infra.serverless_yml import read_document
from shared.runtime.scf import ASYNC_RETRIES

REPO = Path(__file__).resolve().parents[2]
ASYNC_FUNCTIONS = (
    "transcode",
    "snapshot",
    "review",
    "analysis",
    "enhance",
    "aggregator",
    "trigger",
    "reconciler",
    "notifier",
)
# SCF's defaults, made explicit: the worker's MAX_TRIES counts on exactly these retries.
RETRY = {"RetryConfig": [{"RetryNum": ASYNC_RETRIES}], "MsgTTL": 6 * 3600}


def commands(env: Mapping[str, str], path: Path = REPO / "serverless.yml") -> list[list[str]]:
    doc = read_document(path, env)
    inputs = doc["inputs"]
    region, namespace = inputs["region"], inputs.get("namespace") or "default"
    out = []
    for key, fn in inputs["functions"].items():
        base = ["tccli", "scf"]
        common = ["--region", region, "--FunctionName", fn["name"], "--Namespace", namespace]
        if fn.get("reservedConcurrency"):
            mem = int(fn.get("memorySize", inputs.get("memorySize", 128))) * int(fn["reservedConcurrency"])
            out.append([*base, "PutReservedConcurrencyConfig", *common, "--ReservedConcurrencyMem", str(mem)])
        if key in ASYNC_FUNCTIONS:
            out.append(
                [
                    *base,
                    "UpdateFunctionEventInvokeConfig",
                    *common,
                    "--AsyncTriggerConfig",
                    json.dumps(RETRY, separators=(",", ":")),
                ]
            )
    return out


def main() -> None:
    for command in commands(os.environ):
        print(shlex.join(command))


if __name__ == "__main__":
    main()
