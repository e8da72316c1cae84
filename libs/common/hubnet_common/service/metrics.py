"""Prometheus metrics of a service, in the text exposition format (served at /metrics):

hubnet_messages_total{topic, outcome}           records processed, by what became of them
hubnet_dead_letters_total{topic, reason}        records dead-lettered, by reason
hubnet_handler_seconds_bucket{topic, le} …      time to process a record (histogram)
hubnet_outbox_backlog                           outbox rows not yet published
hubnet_outbox_oldest_seconds                    age of the oldest of them
"""

from __future__ import annotations

from collections import Counter, defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(**labels: str) -> str:
    escaped = {k: str(v).replace("\\", "\\\\").replace('"', '\\"') for k, v in labels.items()}
    return "{" + ",".join(f'{k}="{v}"' for k, v in escaped.items()) + "}"


class Metrics:
    def __init__(self) -> None:
        self.messages: Counter[tuple[str, str]] = Counter()
        self.dead_letters: Counter[tuple[str, str]] = Counter()
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.count: Counter[str] = Counter()

    def processed(self, topic: str, outcome: str, seconds: float) -> None:
        self.messages[(topic, outcome)] += 1
        self.seconds[topic] += seconds
        self.count[topic] += 1
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.buckets[topic][i] += 1

    def dead_lettered(self, topic: str, reason: str) -> None:
        self.dead_letters[(topic, reason)] += 1

    def render(self, *, outbox_backlog: int, outbox_oldest_seconds: float) -> str:
        lines = ["# TYPE hubnet_messages_total counter"]
        lines += [
            f"hubnet_messages_total{_labels(topic=t, outcome=o)} {n}" for (t, o), n in sorted(self.messages.items())
        ]
        lines.append("# TYPE hubnet_dead_letters_total counter")
        lines += [
            f"hubnet_dead_letters_total{_labels(topic=t, reason=r)} {n}"
            for (t, r), n in sorted(self.dead_letters.items())
        ]
        lines.append("# TYPE hubnet_handler_seconds histogram")
        for topic in sorted(self.count):
            lines += [
                f"hubnet_handler_seconds_bucket{_labels(topic=topic, le=str(b))} {n}"
                for b, n in zip(BUCKETS, self.buckets[topic], strict=True)
            ]
            lines.append(f"hubnet_handler_seconds_bucket{_labels(topic=topic, le='+Inf')} {self.count[topic]}")
            lines.append(f"hubnet_handler_seconds_sum{_labels(topic=topic)} {self.seconds[topic]:.6f}")
            lines.append(f"hubnet_handler_seconds_count{_labels(topic=topic)} {self.count[topic]}")
        lines += [
            "# TYPE hubnet_outbox_backlog gauge",
            f"hubnet_outbox_backlog {outbox_backlog}",
            "# TYPE hubnet_outbox_oldest_seconds gauge",
            f"hubnet_outbox_oldest_seconds {outbox_oldest_seconds:.3f}",
        ]
        return "\n".join(lines) + "\n"
