-- What a failed delivery records is a reason code (FailureReason in
-- hubnet_common/sdk/messages/notification_events.py). The texts recorded before could carry a mail
-- server's reply (a staff member's address, the server's host) or a receiver's answer: each becomes
-- the code of its kind, as /deliveries/failed shows them.
UPDATE notifications SET last_error = CASE
    WHEN last_error LIKE '%address not allowed%' THEN 'address-not-allowed'
    WHEN last_error LIKE '%unsupported webhook URL%' OR last_error LIKE '%not an address this mailer%'
        THEN 'address-invalid'
    WHEN last_error LIKE 'no address for %' OR last_error LIKE '%(''no address for %' THEN 'recipient-unknown'
    WHEN channel = 'webhook' AND last_error LIKE '%redirects are not followed%' THEN 'webhook-redirected'
    WHEN channel = 'webhook' AND last_error LIKE 'refused: %' THEN 'webhook-refused'
    WHEN channel = 'webhook' AND last_error LIKE '%receiver answered%' THEN 'webhook-unavailable'
    WHEN channel = 'webhook' THEN 'webhook-unreachable'
    WHEN last_error LIKE 'refused: %' THEN 'smtp-refused'
    WHEN last_error ~ 'SMTP[A-Za-z]*\(4[0-9][0-9]' THEN 'smtp-deferred'
    ELSE 'smtp-unreachable'
END
WHERE last_error IS NOT NULL AND last_error NOT IN (
    'smtp-refused', 'smtp-deferred', 'smtp-unreachable', 'webhook-refused', 'webhook-redirected',
    'webhook-unavailable', 'webhook-unreachable', 'address-not-allowed', 'address-invalid',
    'recipient-unknown', 'delivery-error'
);
