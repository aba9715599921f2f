"""Export my data on S3 (moto on loopback, the deployment's bucket policy), SQLite and
PostgreSQL: the zip is not public, the presigned link carries the export's expiry and serves
it, and the periodic expiry removes the object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.models import AccountJob
from pixel_studio.services.accounts import export
from pixel_studio.settings import Settings
from pixel_studio.storage.s3 import S3Storage
from tests.services.generation_helpers import make_user
from tests.storage.test_s3_storage import (  # noqa: F401  (fixtures)
    aws_env,
    bucket,
    endpoint,
    fetch,
    make_settings,
)


def test_export_on_s3(
    db: Engine,
    session: Session,
    tmp_path: Path,
    endpoint: str,  # noqa: F811
    bucket: str,  # noqa: F811
) -> None:
    settings: Settings = make_settings(tmp_path, endpoint, bucket, prefix="studio/")
    storage = S3Storage(settings)
    ann = make_user(session, "ann", 5)
    job = export.start_export(session, ann)
    export.run_export(job.id, engine=db, settings=settings, storage=storage, publish=lambda e: None)
    key = session.get(AccountJob, job.id, populate_existing=True).result_key  # type: ignore[union-attr]
    assert key and key.startswith("private/exports/")
    assert fetch(f"{endpoint}/{bucket}/studio/{key}")[0] == 403  # never public
    url = export.export_link(session, storage, ann)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == [str(export.LINK_SECONDS)]
    status, body, _headers = fetch(url)
    assert status == 200 and body[:2] == b"PK"
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    assert export.expire_exports(session, storage, now=later) == 1
    assert not storage.exists(key)
