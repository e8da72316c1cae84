"""A refused or failing record undoes only itself, on PostgreSQL's own savepoints: a batch of
consents the referrals service reads in one poll, one of which fails after it has written, is
applied in one transaction; the others' consents, data key copies, answers and inbox rows are
committed, and of the failing one only its inbox row, its answer, its audit entry and its dead letter
remain (hubnet_common/service/processing.py, hubnet_common/service/uow.py)."""

import asyncpg
import pytest
from aiokafka.partitioner import DefaultPartitioner

from hubnet_common.ops.local.watch import TopicWatcher
from hubnet_common.ops.partners import main_topics
from hubnet_common.sdk.messages.referral_commands import new_consent_id
from hubnet_common.sdk.messages.referral_events import ConsentRecorded
from hubnet_common.sdk.messages.replies import CommandAccepted, CommandRejected
from hubnet_common.sdk.topics import REFERRAL_COMMANDS
from hubnet_referrals import bootstrap
from hubnet_referrals.settings import ReferralSettings
from tests.conftest import fresh_group_prefix
from tests.integration.conftest import rows, running
from tests.integration.referral_steps import consent, person, ref_of

pytestmark = pytest.mark.integration
# The resident whose data key copy PostgreSQL refuses: its consent row is written by then.
DOOMED = person(999)


def on_one_partition(count: int) -> list[str]:
    """Consent ids (the record keys) that all go to partition 0, so one poll returns them in order."""
    ids, partitions = [], list(range(REFERRAL_COMMANDS.partitions))
    while len(ids) < count:
        candidate = new_consent_id()
        if DefaultPartitioner()(candidate.encode(), partitions, partitions) == 0:
            ids.append(candidate)
    return ids


async def test_a_failing_record_in_a_batch_undoes_only_its_own_writes(new_database, kafka_bootstrap, partner):
    dsn = await new_database("referrals")
    settings = ReferralSettings(pg_dsn=dsn, kafka_bootstrap=kafka_bootstrap, group_prefix=fresh_group_prefix("it"))
    async with running(bootstrap.spec(settings), settings):
        pass  # migrated, and the consumer group starts from here
    # PostgreSQL itself fails the doomed consent's handler after its consent row went in: the data key
    # copy that share_data_key writes next is refused, and the transaction is aborted from there.
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """
            CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'no data key copy for this resident'; END $$;
            CREATE TRIGGER refuse_doomed BEFORE INSERT ON data_key_copies FOR EACH ROW
                WHEN (NEW.participant_ref = '"""
            + ref_of(DOOMED)
            + "') EXECUTE FUNCTION refuse_doomed();"
        )
    finally:
        await conn.close()
    ids = on_one_partition(5)
    commands = [consent(person(i), consent_id=cid) for i, cid in enumerate(ids)]
    commands[1] = consent(DOOMED, consent_id=ids[1])
    commands[3] = consent(person(9), consent_id=ids[0])  # ids[0] again: refused (consent-exists)
    async with partner("bostadsbolaget") as sender:
        sent = [await sender.send(command) for command in commands]
    ce_ids = [envelope.id for envelope in sent]

    async with (
        TopicWatcher(kafka_bootstrap, [*main_topics(), REFERRAL_COMMANDS.dlq]) as watcher,
        running(bootstrap.spec(settings), settings),
    ):
        answers = {}
        for n, ce_id in enumerate(ce_ids):
            try:
                seen = await watcher.wait_for(lambda s, ce_id=ce_id: getattr(s.body, "command_id", None) == ce_id)
            except TimeoutError:
                pytest.fail(f"command {n} of the batch was never answered")
            answers[ce_id] = seen.body
        await watcher.wait_for(lambda s: s.topic == REFERRAL_COMMANDS.dlq.name)

    kinds = [(type(answers[i]), getattr(answers[i], "code", None)) for i in ce_ids]
    assert kinds == [
        (CommandAccepted, None),
        (CommandRejected, "processing-failed"),
        (CommandAccepted, None),
        (CommandRejected, "consent-exists"),
        (CommandAccepted, None),
    ]
    stored = await rows(dsn, "SELECT id, participant_ref FROM consents ORDER BY id")
    assert {(r["id"], r["participant_ref"]) for r in stored} == {
        (ids[0], ref_of(person(0))),
        (ids[2], ref_of(person(2))),
        (ids[4], ref_of(person(4))),
    }
    keys_of = {r["participant_ref"] for r in await rows(dsn, "SELECT participant_ref FROM data_key_copies")}
    assert keys_of == {ref_of(person(i)) for i in (0, 2, 4)}  # none for the doomed resident, none for the refused one
    inbox = await rows(dsn, "SELECT ce_id, received_at FROM inbox WHERE ce_id = ANY($1)", ce_ids)
    assert {r["ce_id"] for r in inbox} == set(ce_ids)  # each is answered once, also after a redelivery
    assert len({r["received_at"] for r in inbox}) == 1  # now() of one transaction: the five came as one batch
    audit = await rows(dsn, "SELECT command_id, outcome, code FROM audit_log WHERE command_id = ANY($1)", ce_ids)
    assert sorted((r["command_id"], r["outcome"], r["code"]) for r in audit) == sorted(
        (ce_id, "refused" if code else "accepted", code) for ce_id, (_, code) in zip(ce_ids, kinds, strict=True)
    )
    facts = [s.body.consent_id for s in watcher.seen if isinstance(s.body, ConsentRecorded)]
    assert sorted(facts) == sorted([ids[0], ids[2], ids[4]])  # announced before their answers, same key
    dead = [s for s in watcher.seen if s.topic == REFERRAL_COMMANDS.dlq.name]
    assert [s.envelope.id for s in dead] == [ce_ids[1]]
