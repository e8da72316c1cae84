"""Words the pages show for the network's codes, as gettext message ids (English; the catalogues in
hubnet_portal/locale give the Swedish). `N_` only marks a string for the catalogue."""

from hubnet_common.sdk.messages.vocabulary import MainActivity, ReasonCode, Status


def N_(message: str) -> str:
    return message


STATUS = {
    Status.REQUESTED: N_("Requested"),
    Status.RECEIVED: N_("Received"),
    Status.ACCEPTED: N_("Accepted"),
    Status.REJECTED: N_("Rejected"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.ON_HOLD: N_("On hold"),
    Status.COMPLETED: N_("Completed"),
    Status.FAILED: N_("Failed"),
    Status.CANCELLED: N_("Cancelled"),
    Status.ENTERED_IN_ERROR: N_("Entered in error"),
}

MAIN_ACTIVITY = {
    MainActivity.WORK: N_("Work"),
    MainActivity.WORK_WITH_SUPPORT: N_("Work with support"),
    MainActivity.STUDIES: N_("Studies"),
    MainActivity.OWN_BUSINESS: N_("Own business"),
    MainActivity.WORK_TRAINING: N_("Work training"),
    MainActivity.JOB_SEEKING: N_("Looking for work"),
    MainActivity.OTHER_SUPPORT: N_("Other support"),
    MainActivity.UNKNOWN: N_("Not known"),
}

REASON = {
    ReasonCode.NO_CAPACITY: N_("No capacity"),
    ReasonCode.NOT_ELIGIBLE: N_("Not eligible"),
    ReasonCode.COULD_NOT_CONTACT: N_("Could not reach the resident"),
    ReasonCode.NO_LONGER_INTERESTED: N_("The resident is no longer interested"),
    ReasonCode.REFERRED_ELSEWHERE: N_("Referred elsewhere"),
    ReasonCode.DUPLICATE: N_("Duplicate"),
    ReasonCode.UNANSWERED: N_("Not answered in time"),
    ReasonCode.CONSENT_WITHDRAWN: N_("Consent withdrawn"),
    ReasonCode.OTHER: N_("Other"),
}

# Why the network refused a command, in plain words (the codes of the referrals service's answers).
REFUSAL = {
    "invalid-transition": N_("That step cannot be taken from the referral's present status."),
    "stale-version": N_("Someone else changed the referral in the meantime. Look at it again and retry."),
    "not-permitted": N_("Your organisation may not take that step on this referral."),
    "detail-missing": N_("Something the step needs is missing."),
    "referral-unknown": N_("There is no such referral."),
    "consent-invalid": N_("The resident's consent does not cover this."),
    "service-full": N_("The service is full."),
    "service-inactive": N_("The service is not open for referrals."),
    "invalid-personnummer": N_("The personnummer is not valid."),
    "resident-unproven": N_("The resident's number did not reach the referrals service sealed."),
    "service-unknown": N_("There is no such service."),
    "service-not-at-hub": N_("The service is not offered at that hub."),
    "hub-unknown": N_("There is no such hub."),
    "consent-missing": N_("The consent does not cover that organisation or need."),
}
UNKNOWN_REFUSAL = N_("The network refused the step.")
NO_ANSWER = N_("The network did not answer in time. The step may still be taken: look again in a moment.")


def status_words(status: str) -> str:
    return STATUS.get(status, status)  # type: ignore[call-overload]


def refusal_words(code: str) -> str:
    return REFUSAL.get(code, UNKNOWN_REFUSAL)


ACTION = {
    "request": N_("Referred"),
    "acknowledge": N_("Receipt acknowledged"),
    "accept": N_("Accepted"),
    "reject": N_("Rejected"),
    "start": N_("Started"),
    "hold": N_("Put on hold"),
    "resume": N_("Resumed"),
    "fail": N_("Failed"),
    "complete": N_("Completed"),
    "cancel": N_("Cancelled"),
    "reopen": N_("Reopened"),
    "mark-entered-in-error": N_("Marked as entered in error"),
    "end-for-withdrawn-consent": N_("Ended: consent withdrawn"),
}


def action_words(action: str) -> str:
    return ACTION.get(action, action)
