//! Claim status codes (code list 508, STC01-2) in the words a biller reads,
//! and what each claim status category (code list 507, STC01-1) means for
//! the claim. The codes are the ones payers use most; others show their
//! code.

/// STC01-2, said briefly.
pub fn status_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "0" => "No further status can be given electronically",
        "1" => "See the remittance advice for details",
        "2" => "Details follow in a letter",
        "3" => "Adjudicated and awaiting the payment cycle",
        "6" => "Balance due from the subscriber",
        "15" => "Submitted procedure codes were changed",
        "16" => "Forwarded to another entity",
        "19" => "Receipt acknowledged",
        "20" => "Accepted for processing",
        "21" => "Information is missing or invalid",
        "23" => "Returned to the submitter",
        "24" => "The submitter is not approved to send claims electronically",
        "26" => "The entity was not found",
        "27" => "The policy was cancelled",
        "29" => "The subscriber and the policy number do not match",
        "30" => "The subscriber and the member id do not match",
        "33" => "The subscriber and member id were not found",
        "35" => "The claim was not found",
        "40" => "Waiting for final approval",
        "41" => "Special handling is needed at the payer",
        "44" => "Charges pending a provider audit",
        "45" => "Awaiting the benefit determination",
        "46" => "Under internal review or audit",
        "47" => "Under internal review; a partial payment was made",
        "52" => "Investigating other insurance coverage",
        "54" => "A duplicate of a claim already processed",
        "55" => "Assigned to an analyst",
        "56" => "Awaiting the eligibility determination",
        "60" => "Information was requested electronically",
        "65" => "The claim has been paid",
        "78" => "A duplicate of a claim awaiting processing",
        "84" => "The service was not authorized",
        "85" => "The payer is not the primary payer",
        "88" => "The patient was not eligible on the dates of service",
        "95" => "Requested additional information was not received",
        "97" => "The patient's eligibility was not found",
        "98" => "Charges applied to the deductible",
        "101" => "Processed as an adjustment to an earlier claim",
        "104" => "Processed according to plan provisions",
        "107" => "Processed according to contract provisions",
        "109" => "The entity is not eligible",
        "116" => "Sent to the wrong payer",
        "187" => "The dates of service",
        "254" => "The principal diagnosis code",
        "255" => "The diagnosis code",
        "454" => "The procedure code",
        "562" => "The provider's NPI",
        "673" => "The patient control number",
        _ => return None,
    })
}

/// What a claim status category says about the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A0, A1: received, not yet in adjudication.
    Received,
    /// A2, A5, P0–P5, R…, F3F: in adjudication or waiting for information.
    Pending,
    /// F0, F1, F3, F4: adjudicated; the money moves with the 835.
    Finalized,
    /// F2: denied.
    Denied,
    /// A3, A6, A7, A8, E3: returned; it must be corrected and sent again.
    Rejected,
    /// A4, D0: the payer has no such claim.
    NotFound,
    /// E0, E1, E2, E4 and unknown codes: no answer this time.
    NoAnswer,
}

pub fn outcome(category: &str) -> Outcome {
    match category {
        "A0" | "A1" => Outcome::Received,
        "A2" | "A5" | "F3F" => Outcome::Pending,
        "F0" | "F1" | "F3" | "F3N" | "F4" => Outcome::Finalized,
        "F2" => Outcome::Denied,
        "A3" | "A6" | "A7" | "A8" | "E3" => Outcome::Rejected,
        "A4" | "D0" => Outcome::NotFound,
        c if c.starts_with('P') || c.starts_with('R') => Outcome::Pending,
        _ => Outcome::NoAnswer,
    }
}

impl Outcome {
    /// The claim status it leads to; None where the answer changes nothing.
    pub fn claim_status(self) -> Option<&'static str> {
        match self {
            Outcome::Received => None,
            Outcome::Pending | Outcome::Finalized => Some("accepted"),
            Outcome::Denied => Some("denied"),
            Outcome::Rejected => Some("rejected"),
            // A claim the payer cannot find may simply not be loaded yet:
            // worth a look at the acknowledgements, not a status change.
            Outcome::NotFound | Outcome::NoAnswer => None,
        }
    }

    /// What to do next, in a sentence; None when there is nothing to do.
    pub fn next_step(self) -> Option<&'static str> {
        match self {
            Outcome::Finalized => Some("Post the payer's 835 to record the payment."),
            Outcome::Denied => Some("See the denial reason; correct and appeal or bill the patient."),
            Outcome::Rejected => Some("Correct the claim and send it again."),
            Outcome::NotFound => Some("Check the 999 and 277CA for the batch; call the payer if the claim was acknowledged."),
            Outcome::NoAnswer => Some("Ask again later."),
            Outcome::Received | Outcome::Pending => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_lead_to_statuses() {
        assert_eq!(outcome("F1").claim_status(), Some("accepted"));
        assert_eq!(outcome("F2").claim_status(), Some("denied"));
        assert_eq!(outcome("A7").claim_status(), Some("rejected"));
        assert_eq!(outcome("P3").claim_status(), Some("accepted"));
        assert_eq!(outcome("A1").claim_status(), None);
        assert_eq!(outcome("A4").claim_status(), None);
        assert_eq!(outcome("E1"), Outcome::NoAnswer);
        assert_eq!(status_text("65"), Some("The claim has been paid"));
        assert_eq!(status_text("9999"), None);
    }
}
