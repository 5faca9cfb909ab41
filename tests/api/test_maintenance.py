"""Server upkeep: unfinished jobs resume after a restart; failed e-mail is retried by the
periodic round; expired OAuth codes and tokens are purged."""

from __future__ import annotations

import io
from datetime import timedelta

from credstack.api import create_app
from credstack.api.maintenance import resume_jobs, tick
from credstack.api.routes_ob import configure
from credstack.platform.bulk import create_job, run_job
from credstack.platform.bulkfile import parse_bulk
from credstack.platform.domain import JobStatus
from credstack.platform.oauth import AuthorizationCode, OAuthToken
from credstack.storage.oauth_memory import MemoryOAuthStore
from tests.api.conftest import BASE, FAST_HASHER, World, csv_upload
from tests.api.test_claims_api import smtp  # noqa: F401 - the SMTP server fixture
from tests.platform.test_claims_endorsements import SmtpSink


class Interrupted(Exception):
    pass


def test_restart_resumes_interrupted_job_and_issues_each_row_once(world: World) -> None:
    upload = csv_upload(*(f"r-{i},l{i}@example.org,,,,,,," for i in range(5)))
    uow = world.db.unit_of_work()
    job = create_job(
        uow,
        world.uni,
        world.published.id,
        parse_bulk(io.BytesIO(upload), max_bytes=None),
        at=world.clock(),
    )
    uow.commit()

    def die_on_second_batch(rows: int, seen: list[int] = []) -> None:  # noqa: B006
        seen.append(rows)
        if len(seen) == 2:
            raise Interrupted  # the server process died here

    try:
        run_job(
            world.db.unit_of_work,
            world.custody,
            world.uni.id,
            job.id,
            base_url=BASE,
            clock=world.clock,
            batch_size=2,
            before_commit=die_on_second_batch,
        )
    except Interrupted:
        pass
    uow = world.db.unit_of_work()
    assert uow.jobs.get(job.id).status is JobStatus.RUNNING  # type: ignore[union-attr]
    # "restart": a new app over the same database resumes it
    app = create_app(
        database=world.db,
        custody=world.custody,
        base_url=BASE,
        clock=world.clock,
        run_jobs_inline=True,
        password_hasher=FAST_HASHER,
    )
    assert job.id in resume_jobs(app)
    uow = world.db.unit_of_work()
    done = uow.jobs.get(job.id)
    assert done is not None
    assert (done.status, done.issued) == (JobStatus.DONE, 5)
    keys = {
        c.idempotency_key
        for c in uow.credentials.for_organisation(world.uni.id, limit=100, offset=0)[0]
        if c.job_id == job.id
    }
    assert keys == {f"r-{i}" for i in range(5)}
    assert resume_jobs(app) == []  # nothing left to resume


def test_tick_retries_mail_that_failed_during_an_outage(
    world: World,
    smtp: SmtpSink,  # noqa: F811
) -> None:
    app = create_app(
        database=world.db,
        custody=world.custody,
        base_url=BASE,
        clock=world.clock,
        password_hasher=FAST_HASHER,
        mailer=smtp.mailer(),
    )
    smtp.stop()  # outage: the first round fails and keeps the messages
    first = tick(app)
    assert first.mail_sent == 0
    assert first.mail_failed > 0
    smtp.start()
    second = tick(app)
    assert second.mail_sent == first.mail_failed
    assert second.mail_failed == 0
    assert len(smtp.messages) == second.mail_sent
    assert tick(app).mail_sent == 0  # sent once only


def test_tick_purges_expired_oauth_codes_and_tokens(world: World) -> None:
    app = create_app(
        database=world.db,
        custody=world.custody,
        base_url=BASE,
        clock=world.clock,
        password_hasher=FAST_HASHER,
    )
    store = MemoryOAuthStore()
    configure(app, store=store)
    now = world.clock()
    old, fresh = now - timedelta(hours=2), now + timedelta(hours=1)
    for name, expires in (("old", old), ("fresh", fresh)):
        store.add_code(
            AuthorizationCode(
                code_hash=f"c-{name}",
                client_id="c",
                user_id="u",
                redirect_uri="https://a/cb",
                scopes=frozenset(),
                code_challenge="x",
                created_at=old - timedelta(hours=1),
                expires_at=expires,
                grant_id=f"g-{name}",
            )
        )
        store.add_token(
            OAuthToken(
                token_hash=f"t-{name}",
                kind="access",
                grant_id=f"g-{name}",
                client_id="c",
                user_id="u",
                scopes=frozenset(),
                created_at=old - timedelta(hours=1),
                expires_at=expires,
            )
        )
    assert tick(app).oauth_purged == 2
    assert store.get_token("t-old") is None
    assert store.get_token("t-fresh") is not None
    assert store.use_code("c-old", now) is None
    assert store.use_code("c-fresh", now) is not None
    assert tick(app).oauth_purged == 0
