"""The closed lists partners share: referral status (HL7 FHIR Task codes), reason
codes, purposes and the outcome a referral led to (as Swedish follow-up, SUS, records at exit)."""

from enum import StrEnum


class Status(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ENTERED_IN_ERROR = "entered-in-error"


OPEN = frozenset({Status.REQUESTED, Status.RECEIVED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD})


class ReasonCode(StrEnum):
    NO_CAPACITY = "no-capacity"
    NOT_ELIGIBLE = "not-eligible"
    COULD_NOT_CONTACT = "could-not-contact"
    NO_LONGER_INTERESTED = "no-longer-interested"
    REFERRED_ELSEWHERE = "referred-elsewhere"
    DUPLICATE = "duplicate"
    UNANSWERED = "unanswered"  # recalled by the sender after the SLA passed
    CONSENT_WITHDRAWN = "consent-withdrawn"
    OTHER = "other"


class Purpose(StrEnum):
    """What a referral is for; a consent names the purposes it covers."""

    WORK = "work"
    STUDIES = "studies"
    OWN_BUSINESS = "own-business"
    WORK_TRAINING = "work-training"
    GUIDANCE = "guidance"


class MainActivity(StrEnum):
    """The resident's main activity after the intervention."""

    WORK = "work"
    WORK_WITH_SUPPORT = "work-with-support"
    STUDIES = "studies"
    OWN_BUSINESS = "own-business"
    WORK_TRAINING = "work-training"
    JOB_SEEKING = "job-seeking"
    OTHER_SUPPORT = "other-support"
    UNKNOWN = "unknown"


class ConsentMethod(StrEnum):
    WRITTEN = "written"
    VERBAL = "verbal"  # noted by the staff member named in the consent
    DIGITAL = "digital"
