"""A real S3-compatible server for the tests: moto's server mode on 127.0.0.1.

One server per test process (started on first use), one bucket in it, and for
each test that asks for ``s3_storage`` a prefix of its own in that bucket, with
the default storage switched to it. Uploads in those tests travel over HTTP to
the server, as they would to a bucket in production.
"""

import logging
import uuid
from collections.abc import Iterator

import boto3
import pytest
from django.core.files.storage import Storage, default_storage

BUCKET = "safeguard-test-media"
REGION = "eu-west-2"
# moto accepts any credentials; these never leave the test process.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    # Not a line per request in every failing test's captured log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint: str) -> Storage:
    """The default storage, for this test, is the bucket (under a prefix of its own).

    Changing STORAGES resets ``default_storage`` (Django's setting_changed), and
    every FileField holds that lazy object, so models store there too. MEDIA_ROOT
    stays conftest's per-test folder, which such a test can check stays empty.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": REGION,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "location": f"test-{uuid.uuid4().hex}",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
            },
        },
    }
    return default_storage
