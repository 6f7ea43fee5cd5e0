"""`openmps accounts|keys|tokens`: administration straight on the table, never through the API.

Locally the running stack leaves its table endpoint and key-encryption key in the data dir; in the
cloud the same commands run with the functions' settings in the environment (OPENMPS_TABLE_*,
OPENMPS_KEY_ENCRYPTION_KEYS; docs/DEPLOY.md). A new key's SecretKey and a new
token are printed once and never again (the table keeps only a token's SHA-256).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
from pathlib import Path

from rich.console import Console
from rich.table import Table

from shared.composition import build_deps
from shared.domain import clock
from shared.domain.accounts import AccessKey, new_account_id, new_appid, new_secret_id, new_secret_key
from shared.domain.errors import OpenMpsError
from shared.runtime.settings import Settings, settings_from_env
from shared.services.bootstrap import provision_account
from shared.storage.local import LocalStorage
from shared.store.accounts import AccountStore

console = Console()
LOCAL_ACCOUNT = "local"


def open_store(data_dir: Path) -> AccountStore:
    return AccountStore(_settings(data_dir))


def _settings(data_dir: Path) -> Settings:
    env = dict(os.environ)
    if not env.get("OPENMPS_TABLE_ENDPOINT") and env.get("OPENMPS_STORAGE") != "cos":
        endpoint_file = data_dir / "table-endpoint"
        if not endpoint_file.exists():
            raise SystemExit(f"openmps: no running stack found in {data_dir}: start `openmps up` first")
        env["OPENMPS_TABLE_ENDPOINT"] = endpoint_file.read_text().strip()
        kek_file = data_dir / "key-encryption-key"
        if kek_file.exists() and not env.get("OPENMPS_KEY_ENCRYPTION_KEYS"):
            env["OPENMPS_KEY_ENCRYPTION_KEYS"] = kek_file.read_text().strip()
        env.setdefault("OPENMPS_STORAGE_ROOT", str(data_dir / "buckets"))  # as the stack sets it
    return settings_from_env(env)


def _provision(data_dir: Path, account: str) -> dict[str, str]:
    """The new account's buckets (local folders; in the cloud the deployer creates COS buckets)
    and its default workflow on them."""
    settings = _settings(data_dir)
    deps = build_deps(settings)
    make_bucket = deps.storage.ensure_bucket if isinstance(deps.storage, LocalStorage) else (lambda _bucket: None)
    mine = provision_account(deps, account, make_bucket)
    return {"input_bucket": mine.input, "output_bucket": mine.output}


def _show(value: object, as_json: bool, table: Table | None = None) -> None:
    if as_json or table is None:
        print(json.dumps(value, indent=2, ensure_ascii=False))
    else:
        console.print(table)


def _new_key(store: AccountStore, account: str, now: str) -> AccessKey:
    found = store.get_account(account)
    if found is None:
        raise SystemExit(f"openmps: no account {account!r} (openmps accounts list)")
    key = AccessKey(account, found.appid, new_secret_id(), new_secret_key(), enabled=True)
    store.put_key(key, now)
    return key


def cmd_accounts(args: argparse.Namespace, data_dir: Path) -> int:
    store = open_store(data_dir)
    if args.action == "create":
        now = clock.now_iso()
        account = store.create_account(args.name or new_account_id(), args.appid or new_appid(), now, args.label or "")
        token = secrets.token_urlsafe(24)
        token_info = store.put_token(token, account.account, "cli", now)
        key = _new_key(store, account.account, now)
        created = {
            "account": account.account,
            "appid": account.appid,
            "api_token": token,
            "token_id": token_info.token_id,
            "secret_id": key.secret_id,
            "secret_key": key.secret_key,
            **_provision(data_dir, account.account),
        }
        print(json.dumps(created, indent=2))
        if not args.json:
            console.print("The token and the SecretKey are shown only now: keep them.", style="yellow")
        return 0
    rows = store.list_accounts()
    table = Table(title="accounts")
    for col in ("Account", "AppId", "Created", "Label"):
        table.add_column(col)
    for row in rows:
        table.add_row(row.account, row.appid, row.create_time, row.label)
    _show([vars(r) for r in rows], args.json, table)
    return 0


def cmd_keys(args: argparse.Namespace, data_dir: Path) -> int:
    store = open_store(data_dir)
    account = args.account or LOCAL_ACCOUNT
    if args.action == "create":
        key = _new_key(store, account, clock.now_iso())
        print(json.dumps({"account": account, "secret_id": key.secret_id, "secret_key": key.secret_key}, indent=2))
        if not args.json:
            console.print("The SecretKey is shown only now: keep it.", style="yellow")
        return 0
    if args.action == "reseal":
        print(f"{store.reseal_keys()} keys resealed under the first OPENMPS_KEY_ENCRYPTION_KEYS key")
        return 0
    if args.action in ("disable", "enable", "delete"):
        if not args.secret_id:
            raise SystemExit(f"openmps: keys {args.action} needs a SECRET_ID")
        if args.action == "delete":
            done = store.delete_key(args.secret_id, account)
        else:
            done = store.set_key_enabled(args.secret_id, args.action == "enable", account)
        if not done:
            raise SystemExit(f"openmps: account {account!r} has no key {args.secret_id}")
        return 0
    keys = store.list_keys(account)
    table = Table(title=f"keys of {account}")
    for col in ("SecretId", "Enabled", "Created"):
        table.add_column(col)
    for k in keys:
        table.add_row(k.secret_id, "yes" if k.enabled else "no", k.create_time)
    _show([vars(k) for k in keys], args.json, table)
    return 0


def cmd_tokens(args: argparse.Namespace, data_dir: Path) -> int:
    store = open_store(data_dir)
    account = args.account or LOCAL_ACCOUNT
    if args.action == "create":
        if store.get_account(account) is None:
            raise SystemExit(f"openmps: no account {account!r} (openmps accounts list)")
        token = secrets.token_urlsafe(24)
        info = store.put_token(token, account, args.label or "cli", clock.now_iso())
        print(json.dumps({"account": account, "token_id": info.token_id, "api_token": token}, indent=2))
        if not args.json:
            console.print("The token is shown only now: keep it.", style="yellow")
        return 0
    if args.action == "revoke":
        if not args.token_id:
            raise SystemExit("openmps: tokens revoke needs a TOKEN_ID (openmps tokens list)")
        if not store.revoke_token(args.token_id, account):
            raise SystemExit(f"openmps: account {account!r} has no token {args.token_id}")
        return 0
    tokens = store.list_tokens(account)
    table = Table(title=f"tokens of {account}")
    for col in ("TokenId", "Label", "Created"):
        table.add_column(col)
    for t in tokens:
        table.add_row(t.token_id, t.label, t.create_time)
    _show([vars(t) for t in tokens], args.json, table)
    return 0


def add_parsers(sub: argparse._SubParsersAction, data_dir: Path) -> None:
    acc = sub.add_parser("accounts", help="create or list accounts (each gets an appid, a token and a key pair)")
    acc.add_argument("action", nargs="?", choices=["list", "create"], default="list")
    acc.add_argument("--name", help="account id (default acct-<random>)")
    acc.add_argument("--appid", help="10-digit appid for bucket names and task ids (default: random)")
    acc.add_argument("--label")
    acc.add_argument("--json", action="store_true")
    acc.set_defaults(func=lambda a: _guard(cmd_accounts, a, data_dir))
    keys = sub.add_parser(
        "keys", help="create, list, disable, enable or delete an account's SecretId/SecretKey pairs; reseal all"
    )
    keys.add_argument(
        "action", nargs="?", choices=["list", "create", "disable", "enable", "delete", "reseal"], default="list"
    )
    keys.add_argument("secret_id", nargs="?")
    keys.add_argument("--account", help=f"default {LOCAL_ACCOUNT!r}")
    keys.add_argument("--json", action="store_true")
    keys.set_defaults(func=lambda a: _guard(cmd_keys, a, data_dir))
    tokens = sub.add_parser(
        "tokens", help="list, create or revoke an account's REST API tokens (a revoked token gets 401 at once)"
    )
    tokens.add_argument("action", nargs="?", choices=["list", "create", "revoke"], default="list")
    tokens.add_argument("token_id", nargs="?", help="for revoke: the TokenId that `tokens list` shows")
    tokens.add_argument("--account", help=f"default {LOCAL_ACCOUNT!r}")
    tokens.add_argument("--label", help="for create: what the token is for (default 'cli')")
    tokens.add_argument("--json", action="store_true")
    tokens.set_defaults(func=lambda a: _guard(cmd_tokens, a, data_dir))


def _guard(command, args: argparse.Namespace, data_dir: Path) -> int:
    try:
        return int(command(args, data_dir))
    except OpenMpsError as exc:
        raise SystemExit(f"openmps: {exc.message}") from None
