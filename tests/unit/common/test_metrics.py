"""The Prometheus text a service serves at /metrics."""

from hubnet_common.service.metrics import Metrics


def test_counts_latency_dead_letters_and_the_outbox_in_exposition_format():
    metrics = Metrics()
    metrics.processed("referral.commands.v1", "accepted", 0.012)
    metrics.processed("referral.commands.v1", "refused", 0.3)
    metrics.dead_lettered("referral.commands.v1", "invalid-envelope")
    text = metrics.render(outbox_backlog=3, outbox_oldest_seconds=1.5).splitlines()
    assert 'hubnet_messages_total{topic="referral.commands.v1",outcome="accepted"} 1' in text
    assert 'hubnet_dead_letters_total{topic="referral.commands.v1",reason="invalid-envelope"} 1' in text
    assert 'hubnet_handler_seconds_bucket{topic="referral.commands.v1",le="0.025"} 1' in text
    assert 'hubnet_handler_seconds_bucket{topic="referral.commands.v1",le="+Inf"} 2' in text
    assert "hubnet_outbox_backlog 3" in text and "hubnet_outbox_oldest_seconds 1.500" in text


def test_label_values_are_escaped():
    metrics = Metrics()
    metrics.dead_lettered('odd"topic\\x', "r")
    assert 'topic="odd\\"topic\\\\x"' in metrics.render(outbox_backlog=0, outbox_oldest_seconds=0)
