"""Privacy on S3 (moto on loopback, with the deployment's bucket policy), SQLite and PostgreSQL:
a private image's files are refused to an unsigned GET, served by the presigned URL the owner
gets, and a URL handed out while public stops working once private."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.services.errors import NotFound
from pixel_studio.services.studio.images import PRIVATE_URL_SECONDS, image_url, set_image_privacy
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.s3 import S3Storage
from tests.services.generation_helpers import Events, images_of, make_user, submit_job
from tests.storage.test_s3_storage import (  # noqa: F401  (fixtures)
    aws_env,
    bucket,
    endpoint,
    fetch,
    make_settings,
)


def test_privacy_on_s3(
    db: Engine,
    session: Session,
    tmp_path: Path,
    endpoint: str,  # noqa: F811
    bucket: str,  # noqa: F811
) -> None:
    settings: Settings = make_settings(tmp_path, endpoint, bucket, prefix="studio/")
    storage = S3Storage(settings)
    owner = make_user(session, "sally", 5)
    other = make_user(session, "simon", 5)
    job = submit_job(session, owner, settings, count=1)
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events())
    image = images_of(session, job.id)[0]

    public_url = image_url(storage, image, None)
    public_thumb = image_url(storage, image, None, thumbnail=True)
    status, body, headers = fetch(public_url)
    assert status == 200 and body[:8] == b"\x89PNG\r\n\x1a\n"
    assert "immutable" in headers["cache-control"]

    image = set_image_privacy(session, storage, owner, image.id or 0, True)
    # The URLs handed out while public are dead, and the new keys are not public.
    assert fetch(public_url)[0] in (403, 404)
    assert fetch(public_thumb)[0] in (403, 404)
    for key in (image.original_key, image.thumbnail_key):
        assert fetch(f"{endpoint}/{bucket}/studio/{key}")[0] == 403
    signed = image_url(storage, image, owner)
    assert parse_qs(urlsplit(signed).query)["X-Amz-Expires"] == [str(PRIVATE_URL_SECONDS)]
    status, body, headers = fetch(signed)
    assert status == 200 and body[:8] == b"\x89PNG\r\n\x1a\n"
    assert headers["cache-control"].startswith("private")
    with pytest.raises(NotFound):
        image_url(storage, image, other)

    # Back to public: the presigned URL handed out while private stops working.
    image = set_image_privacy(session, storage, owner, image.id or 0, False)
    assert fetch(signed)[0] in (403, 404)
    assert fetch(image_url(storage, image, None))[0] == 200
