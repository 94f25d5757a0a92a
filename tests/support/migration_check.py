"""``alembic check`` on a database created for the purpose: upgrade it to head,
then fail if the models hold a change that no revision makes.

Usage: python -m tests.support.migration_check [SERVER_URL]
(no URL: the embedded PostgreSQL)."""

import os
import subprocess
import sys

from tests.support.databases import fresh_database


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1]:
        os.environ["TEST_DATABASE_URL"] = sys.argv[1]
    with fresh_database() as url:
        environment = {**os.environ, "JALON_DATABASE_URL": url}
        for command in (["upgrade", "head"], ["check"]):
            result = subprocess.run(
                [sys.executable, "-m", "alembic", *command], env=environment, check=False
            )
            if result.returncode != 0:
                return result.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
