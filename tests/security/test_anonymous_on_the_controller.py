"""Someone on the machine connects to the local broker's KRaft controller listener without logging in
and asks it, as a super user would, to create a topic (it could as well grant itself ACLs or reset
hubnet-admin's password): the controller asks for a login (SASL PLAIN as hubnet-controller), and no
listener of the broker takes an unauthenticated client."""

import os
import socket
import uuid

import pytest
from kafka.protocol.admin import CreateTopicsRequest, CreateTopicsResponse
from kafka.protocol.metadata import ApiVersionsRequest
from kafka.protocol.parser import KafkaProtocol

from hubnet_common.ops.local.kafka_users import admin_client

pytestmark = pytest.mark.integration

CONTROLLER_VARIABLE = "HUBNET_LOCAL_KAFKA_CONTROLLER"  # .local/env exports it (deploy/local/infra.sh)


def controller() -> str:
    address = os.environ.get(CONTROLLER_VARIABLE)
    if not address:
        pytest.fail(f"{CONTROLLER_VARIABLE} is not set: `make up` and `source .local/env`", pytrace=False)
    return address


def exchange(address: str, *requests) -> list:
    """Send each request on one plain TCP connection, without any login, and read its answer; the
    answers until the server closes the connection."""
    host, _, port = address.rpartition(":")
    protocol, answers = KafkaProtocol(client_id="anonymous"), []
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        for request in requests:
            protocol.send_request(request)
            connection.sendall(protocol.send_bytes())
            answer: list = []
            while not answer:
                try:
                    data = connection.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    return answers
                answer = protocol.receive_bytes(data)
            answers.extend(response for _, response in answer)
    return answers


def create_topic(address: str, name: str) -> list:
    topic = CreateTopicsRequest.CreatableTopic(
        name=name, num_partitions=1, replication_factor=1, assignments=[], configs=[]
    )
    return exchange(
        address,
        ApiVersionsRequest[0](),
        CreateTopicsRequest[7](topics=[topic], timeout_ms=10_000, validate_only=False),
    )


def topic_exists(bootstrap: str, name: str) -> bool:
    admin = admin_client(bootstrap)
    try:
        exists = name in admin.list_topics()
        if exists:
            admin.delete_topics([name])
        return exists
    finally:
        admin.close()


@pytest.mark.parametrize("listener", ["controller", "broker"])
async def test_no_listener_takes_an_anonymous_admin_request(kafka_bootstrap, listener):
    address = controller() if listener == "controller" else kafka_bootstrap
    name = f"{os.environ['HUBNET_TOPIC_PREFIX']}anonymous-{uuid.uuid4().hex[:8]}"
    answers = create_topic(address, name)
    created = [t.name for a in answers if isinstance(a, CreateTopicsResponse) for t in a.topics if not t.error_code]
    assert not topic_exists(kafka_bootstrap, name), f"an anonymous client created {name} on the {listener}"
    assert not created, f"the {listener} answered an anonymous CreateTopics with success: {answers}"
