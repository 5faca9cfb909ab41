"""A bulk job run in the background sends its claim e-mails when it finishes (not only with the
next API request)."""

from __future__ import annotations

import io

from credstack.api import create_app
from credstack.api.routes_orgs import run_in_background
from credstack.platform.bulk import create_job
from credstack.platform.bulkfile import parse_bulk
from tests.api.conftest import BASE, FAST_HASHER, World, csv_upload
from tests.api.test_claims_api import smtp  # noqa: F401 - the SMTP server fixture
from tests.platform.test_claims_endorsements import SmtpSink


def test_background_job_delivers_its_claim_mail(world: World, smtp: SmtpSink) -> None:  # noqa: F811
    app = create_app(
        database=world.db,
        custody=world.custody,
        base_url=BASE,
        clock=world.clock,
        password_hasher=FAST_HASHER,
        mailer=smtp.mailer(),
    )
    upload = csv_upload("m-1,ana@example.org,,,,,,,", "m-2,,did:example:bob,,,,,,")
    uow = world.db.unit_of_work()
    org = uow.organisations.get_by_slug("uni")
    assert org is not None
    job = create_job(
        uow,
        org,
        world.published.id,
        parse_bulk(io.BytesIO(upload), max_bytes=None),
        at=world.clock(),
    )
    uow.commit()
    assert smtp.messages == []
    run_in_background(app.state.credstack, org.id, job.id)
    recipients = [m["To"] for m in smtp.messages]
    assert "ana@example.org" in recipients  # with what the fixture world had queued before
    assert len(recipients) == len(set(recipients))
