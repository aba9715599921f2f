"""The production profile's parts for browser tests, all on loopback and all thrown away after:
a fresh PostgreSQL database at Alembic head, a Redis database of our own (broker, job events,
tab registry and Reflex's state), an S3-protocol server (moto) with a public-read bucket, and
a real Celery worker process on a queue of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from pixel_studio.migrations import upgrade
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url
from tests.redis_fixtures import claimed_redis_db
from tests.workers.celery_harness import Worker

REGION = "us-east-1"
FAKE_AWS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def aws_env(tmp: Path) -> dict[str, str]:
    """Fake credentials, and no way to pick up a developer's real profile or instance role."""
    (tmp / "aws").mkdir(exist_ok=True)
    return {
        "AWS_ACCESS_KEY_ID": FAKE_AWS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": FAKE_AWS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp / "aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@contextmanager
def public_bucket() -> Iterator[tuple[str, str]]:
    """An S3 server on a free loopback port with one bucket anyone may read (as production's
    public images are). Yields (endpoint URL, bucket name)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        bucket = f"pixel-e2e-{uuid.uuid4().hex[:10]}"
        client = boto3.client(
            "s3",
            region_name=REGION,
            endpoint_url=endpoint,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
            **FAKE_AWS,
        )
        client.create_bucket(Bucket=bucket)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
        client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
        yield endpoint, bucket
    finally:
        server.stop()


@contextmanager
def production_services(tmp: Path) -> Iterator[dict[str, str]]:
    """Start every part; yield the environment the app (and its worker) runs with.

    Torn down in reverse: worker, S3 server, Redis database (flushed), PostgreSQL database.
    """
    with ExitStack() as stack:
        name = create_pg_database()
        stack.callback(drop_pg_database, name)
        database_url = pg_url(name)
        upgrade(database_url)
        redis_url = stack.enter_context(claimed_redis_db())
        endpoint, bucket = stack.enter_context(public_bucket())
        env = {
            **aws_env(tmp),
            "DATABASE_URL": database_url,
            # Also Reflex's own state (rxconfig): prod then runs several backend processes, and
            # a job event popped by one must reach a tab whose socket another one holds.
            "REDIS_URL": redis_url,
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": REGION,
            "CELERY_QUEUE": f"e2e-{uuid.uuid4().hex[:8]}",  # no other worker takes our jobs
            "DATA_DIR": str(tmp),
            "SECRET_KEY": "e2e-secret",
        }
        worker = Worker(env, env["CELERY_QUEUE"], tmp)
        stack.callback(worker.stop)
        worker.wait_ready(timeout=60)
        yield env
