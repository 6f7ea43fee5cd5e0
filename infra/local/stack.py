"""`openmps up`: the whole product on one machine.

Starts dynalite, creates the tables, makes sure the default workflow and the local token exist,
starts the local function runtime (functions from serverless.yml), the HTTP gateway, the input
folder watcher and the timers; stops all of it on Ctrl-C. Tasks and files live in the data dir,
so a restart keeps them.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.local.cos_api.endpoint import CosEndpoint
from infra.local.dead_letters import DeadLetterStore, dead_letter_dir
from infra.local.discovery import record_stack
from infra.local.dynalite import Dynalite
from infra.local.gateway import Gateway
from infra.local.index_repair import repair_indexes
from infra.local.log_view import LogView
from infra.local.runtime import ASYNC_RETRY_DELAYS, LocalRuntime
from infra.local.table_supervisor import TableSupervisor, sweep_work_dir
from infra.local.watcher import FolderWatcher
from infra.serverless_yml import load_serverless
from shared.api.rate_gate import rate_gate_for
from shared.composition import build_deps
from shared.domain import clock
from shared.domain.accounts import AccessKey, new_secret_id, new_secret_key
from shared.domain.buckets import appid_of_bucket, bucket_for
from shared.domain.events import build_cos_event
from shared.runtime.settings import settings_from_env
from shared.services.bootstrap import ensure_key_pair, ensure_token, provision_all_accounts
from shared.services.media_access import zip_members
from shared.storage.local import LocalStorage
from shared.storage.port import ObjectInfo
from shared.store.accounts import AccountStore
from shared.store.models import create_missing_tables

REPO = Path(__file__).resolve().parents[2]
LOCAL_ACCOUNT = "local"
TRIGGER_RETRY_DELAYS = (5.0, 15.0, 0.0)  # after the 1st and 2nd failed run; none after the 3rd


@dataclass
class StackConfig:
    data_dir: Path
    port: int = 8080
    api_token: str | None = None
    host: str = "127.0.0.1"
    reconcile_every: float | None = None  # default: the timer in serverless.yml
    concurrency: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # extra OPENMPS_* settings for the functions
    table_restarts_per_minute: int = 3  # more deaths of the table server than this: the stack stops


def _secret_file(path: Path, given: str | None = None) -> str:
    """A secret kept in the data dir: generated on first start, or fixed by the caller."""
    if given:
        path.write_text(given)
        path.chmod(0o600)
        return given
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _key_pair_file(path: Path, secret_id: str | None, secret_key: str | None) -> tuple[str, str]:
    """The local account's SecretId/SecretKey: fixed by OPENMPS_SECRET_ID/OPENMPS_SECRET_KEY, else
    generated on first start and kept in the data dir (mode 0600)."""
    if bool(secret_id) != bool(secret_key):
        raise SystemExit("openmps: set both OPENMPS_SECRET_ID and OPENMPS_SECRET_KEY, or neither")
    if secret_id and secret_key:
        pair = (secret_id, secret_key)
    elif path.exists():
        stored = json.loads(path.read_text())
        return stored["secret_id"], stored["secret_key"]
    else:
        pair = (new_secret_id(), new_secret_key())
    path.write_text(json.dumps({"secret_id": pair[0], "secret_key": pair[1]}))
    path.chmod(0o600)
    return pair


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        data = config.data_dir.resolve()
        data.mkdir(parents=True, exist_ok=True)
        self.data = data
        self.token = _secret_file(data / "api-token", config.api_token)
        signing_key = _secret_file(data / "signing-key")
        self.secret_id, self.secret_key = _key_pair_file(
            data / "api-key-pair.json", os.environ.get("OPENMPS_SECRET_ID"), os.environ.get("OPENMPS_SECRET_KEY")
        )
        self.dynalite = Dynalite(data / "table")
        self.public_url = f"http://{config.host}:{config.port}"
        (data / "work").mkdir(exist_ok=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OPENMPS_")},
            "OPENMPS_TABLE_ENDPOINT": self.dynalite.endpoint,
            "OPENMPS_STORAGE": "local",
            "OPENMPS_STORAGE_ROOT": str(data / "buckets"),
            "OPENMPS_PUBLIC_URL": self.public_url,
            "OPENMPS_SIGNING_KEY": signing_key,
            "OPENMPS_KEY_ENCRYPTION_KEYS": _secret_file(data / "key-encryption-key"),
            "OPENMPS_INVOKER": "local",
            "OPENMPS_INVOKE_URL": f"{self.public_url}/__runtime/invoke",
            "OPENMPS_INVOKE_SECRET": secrets.token_urlsafe(24),
            "OPENMPS_WORK_DIR": str(data / "work"),
            "OPENMPS_STAGE": "local",
            "PYTHONPATH": str(REPO),
            **{
                k: v
                for k, v in os.environ.items()
                if k.startswith("OPENMPS_")
                and k
                not in (
                    "OPENMPS_DATA_DIR",
                    "OPENMPS_PORT",
                    "OPENMPS_API_TOKEN",
                    "OPENMPS_RECONCILE_EVERY",
                    "OPENMPS_CONCURRENCY",
                    "OPENMPS_TABLE_RESTARTS_PER_MINUTE",
                    "OPENMPS_SECRET_ID",  # the local pair lives in the table, not in the functions' env
                    "OPENMPS_SECRET_KEY",
                )
            },
            **config.env,
        }
        self.settings = settings_from_env(self.env)
        self.storage = LocalStorage(self.settings.storage_root, public_url=self.public_url, signing_key=signing_key)
        self.runtime: LocalRuntime | None = None
        self.gateway: Gateway | None = None
        self.watcher: FolderWatcher | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.table_supervisor: TableSupervisor | None = None
        # Set when the stack can no longer work (the table server keeps dying): run_forever stops.
        self.failed = threading.Event()
        self.failure = ""

    # ---- start -----------------------------------------------------------------------------
    def start(self) -> None:
        unclean = self.dynalite.pid_file.exists()  # a clean stop removes it
        self.dynalite.start()  # stops a table server an earlier, killed stack left on this data
        # We own the data dir now, so what is in the work dir was left by killed runs, and so are
        # the buckets' part files (uploads and publishes a kill cut short; no final key names them).
        sweep_work_dir(self.data / "work")
        sweep_work_dir(Path(self.settings.storage_root) / ".tmp")
        create_missing_tables(self.settings)
        if unclean:
            self._repair_indexes()
        self.table_supervisor = TableSupervisor(
            self.dynalite,
            on_fatal=self._fail,
            after_restart=self._repair_indexes,
            max_restarts=self.config.table_restarts_per_minute,
        )
        self.table_supervisor.start()
        deps = build_deps(self.settings, storage=self.storage)
        if ensure_token(deps, self.token, LOCAL_ACCOUNT):
            print("openmps: the API token changed; the previous one is revoked", file=sys.stderr, flush=True)
        ensure_key_pair(
            deps, AccessKey(LOCAL_ACCOUNT, self.settings.appid, self.secret_id, self.secret_key, enabled=True)
        )
        provision_all_accounts(deps, self.storage.ensure_bucket)  # every account's buckets and default rule
        # Where `openmps accounts|keys` finds the table of the running stack.
        (self.data / "table-endpoint").write_text(self.dynalite.endpoint)

        specs, timers = load_serverless(REPO / "serverless.yml", self.env)
        self.runtime = LocalRuntime(
            specs,
            base_env=self.env,
            cwd=str(REPO),
            concurrency_overrides=self.config.concurrency,
            retry_delays=ASYNC_RETRY_DELAYS,
            log=LogView(self.data),
            dead_letters=DeadLetterStore(dead_letter_dir(self.data)),
        )
        self.runtime.start()
        gate = rate_gate_for(self.settings, AccountStore(self.settings))  # one set of buckets for every route
        self.gateway = Gateway(
            host=self.config.host,
            port=self.config.port,
            storage=self.storage,
            signing_key=self.settings.signing_key,
            invoke_secret=self.settings.invoke_secret,
            invoke_sync=lambda fn, ev: self._runtime().invoke_sync(fn, ev),
            invoke_async=lambda fn, ev: self._runtime().invoke_async(fn, ev),
            on_upload=self._on_upload,
            max_upload_bytes=self.settings.max_input_bytes,
            zip_members=lambda task_id, index, expires, sig: zip_members(deps, task_id, index, expires, sig),
            cos=CosEndpoint(
                storage=self.storage,
                find_key=AccountStore(self.settings).find_key,
                on_created=self._on_upload,
                max_object_bytes=self.settings.max_input_bytes,
                rate_gate=gate,
            ),
            rate_gate=gate,
        )
        self._spawn(self.gateway.serve_forever, "gateway")
        self.watcher = FolderWatcher(
            self.storage.bucket_dir(self.settings.input_bucket), self.data / "watcher-state.json", self._announce_key
        )
        self.watcher.start()
        for timer in timers:
            every = (
                self.config.reconcile_every
                if timer.function == "reconciler" and self.config.reconcile_every
                else timer.every_seconds
            )
            self._spawn(
                lambda fn=timer.function, name=timer.name, s=every: self._tick(fn, name, s), f"timer-{timer.name}"
            )

    def _repair_indexes(self) -> None:
        """The table server was killed: put back index entries it may have lost (index_repair.py)."""
        written = repair_indexes(self.dynalite.endpoint, self.settings.region)
        print(f"openmps: the table server had been killed; {written} items re-indexed", flush=True)

    def _runtime(self) -> LocalRuntime:
        assert self.runtime is not None
        return self.runtime

    def _spawn(self, target, name: str, keep: bool = True) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        if keep:
            self._threads.append(thread)

    def _tick(self, function: str, name: str, every: float) -> None:
        while not self._stopping.wait(every):
            event = {"Type": "Timer", "TriggerName": name, "Time": clock.now_iso()[:19] + "Z", "Message": ""}
            self._runtime().invoke_async(function, event)

    # ---- uploads -> COS events ----------------------------------------------------------
    def _emit_created(self, info: ObjectInfo, event_name: str = "cos:ObjectCreated:Put") -> None:
        """Run the trigger for a new object, and tell the watcher once it ran: an event still in
        the in-memory queue when the stack is killed would be lost, and the upload with it."""
        self._spawn(lambda: self._deliver_created(info, event_name), f"trigger-{info.key[-40:]}", keep=False)

    def _deliver_created(self, info: ObjectInfo, event_name: str) -> None:
        event = build_cos_event(
            appid=appid_of_bucket(info.bucket) or self.settings.appid,
            bucket=info.bucket,
            region=self.settings.region,
            key=info.key,
            size=info.size,
            etag=info.etag,
            event_time=int(time.time()),
            content_type=info.content_type,
            event_name=event_name,
        )
        for delay in TRIGGER_RETRY_DELAYS:  # SCF retries a failed event-mode trigger twice, too
            try:
                self._runtime().invoke_sync("trigger", event)
            except Exception:  # noqa: BLE001 - any failure: retry, else the next start announces it again
                if self._stopping.wait(delay):
                    return
                continue
            if self.watcher:
                self.watcher.confirm(info.key)
            return

    def _on_upload(self, info: ObjectInfo, event_name: str = "cos:ObjectCreated:Put") -> None:
        appid = appid_of_bucket(info.bucket) or self.settings.appid
        if info.bucket != bucket_for(self.settings.input_bucket, self.settings.appid, appid):
            return  # the COS trigger is configured on (every account's) input bucket only
        if self.watcher and info.bucket == self.settings.input_bucket:  # the watched folder
            self.watcher.mark_seen(info.key)
        self._emit_created(info, event_name)

    def _announce_key(self, key: str) -> None:
        self._emit_created(self.storage.head(self.settings.input_bucket, key))

    # ---- stop ------------------------------------------------------------------------------
    def _fail(self, message: str) -> None:
        self.failure = message
        print(f"openmps: {message}; stopping", file=sys.stderr, flush=True)
        self.failed.set()

    def stop(self) -> None:
        self._stopping.set()
        if self.table_supervisor:
            self.table_supervisor.stop()
        if self.watcher:
            self.watcher.stop()
        if self.gateway:
            self.gateway.shutdown()
        if self.runtime:
            self.runtime.stop()
        self.dynalite.stop()

    def banner(self) -> str:
        return (
            f"openmps is running\n"
            f"  console / API : {self.public_url}/\n"
            f"  API docs      : {self.public_url}/swagger\n"
            f"  API token     : {self.token}\n"
            f"  MPS API 3.0   : POST {self.public_url}/ (SDK endpoint {self.config.host}:{self.config.port}, "
            f"protocol http)\n"
            f"  SecretId      : {self.secret_id}\n"
            f"  SecretKey     : {self.secret_key}\n"
            f'  COS endpoint  : CosConfig(IP="{self.config.host}", Port={self.config.port}, Scheme="http", '
            f'Region="{self.settings.region}")\n'
            f"  data dir      : {self.data}\n"
            f"  input bucket  : {self.settings.input_bucket} "
            f"(drop files into {self.storage.bucket_dir(self.settings.input_bucket)}/input/)\n"
            f"Press Ctrl-C to stop."
        )


class StopRequested(Exception):
    """SIGINT/SIGTERM while the stack was still starting."""


def run_forever(config: StackConfig) -> int:
    stack = Stack(config)
    stopped = threading.Event()
    starting = True

    def _stop(signum: int, _frame: object) -> None:
        stopped.set()
        if starting:
            # A start can take a while (tables created, indexes repaired, a stale table server
            # stopped); a stop asked for meanwhile must not wait for it: the main thread leaves
            # start() here, and stop() below ends what had been started.
            raise StopRequested()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        starting = False
    except StopRequested:
        starting = False
        print("openmps: stopping (asked to while starting) ...", flush=True)
        stack.stop()
        print("openmps: stopped", flush=True)
        return 0
    except Exception as exc:
        starting = False
        print(f"openmps: could not start: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    record_stack(stack.public_url, stack.data)  # so `openmps` commands find it from any directory
    print(stack.banner(), flush=True)
    while not stopped.wait(0.5) and not stack.failed.is_set():
        pass
    print("openmps: stopping ...", flush=True)
    stack.stop()
    print("openmps: stopped", flush=True)
    return 1 if stack.failed.is_set() else 0
