"""Create the openmps tables and their indexes (PAY_PER_REQUEST) where they do not exist yet;
running it again changes nothing. Reads the same settings as the functions:

    OPENMPS_TABLE_ENDPOINT=http://10.0.0.10:8000 OPENMPS_TABLE_REGION=ap-guangzhou \\
    OPENMPS_TABLE_ACCESS_KEY_ID=... OPENMPS_TABLE_SECRET_ACCESS_KEY=... python -m infra.cloud.tables

Works against AWS DynamoDB, a DynamoDB-compatible cluster (ScyllaDB Alternator) or dynalite.
"""

from __future__ import annotations

from shared.runtime.settings import settings_from_env
from shared.store.models import ALL_MODELS, create_missing_tables


def main() -> None:
    settings = settings_from_env()
    created = create_missing_tables(settings)
    for model in ALL_MODELS:
        name = model.Meta.table_name
        indexes = sorted(i.Meta.index_name for i in model._indexes.values()) if hasattr(model, "_indexes") else []
        state = "created" if name in created else "exists"
        print(f"{name:<32} {state:<8} indexes: {', '.join(indexes) or '-'}")


if __name__ == "__main__":
    main()
