//! Claim adjustment group and reason codes (CAS01, CAS02) in the words a
//! biller reads on a worklist. The reasons are the ones payers use most;
//! others show their code.

/// CAS01.
pub fn group_text(group: &str) -> &'static str {
    match group {
        "CO" => "Contractual obligation",
        "PR" => "Patient responsibility",
        "OA" => "Other adjustment",
        "PI" => "Payer initiated reduction",
        "CR" => "Correction and reversal",
        _ => "Adjustment",
    }
}

/// CARC (CAS02), said briefly.
pub fn reason_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "Deductible amount",
        "2" => "Coinsurance amount",
        "3" => "Co-payment amount",
        "4" => {
            "The procedure code is inconsistent with the modifier used, or a modifier is missing"
        }
        "5" => "The procedure code or type of bill is inconsistent with the place of service",
        "6" => "The procedure or revenue code is inconsistent with the patient's age",
        "7" => "The procedure or revenue code is inconsistent with the patient's gender",
        "11" => "The diagnosis is inconsistent with the procedure",
        "15" => "The authorization number is missing, invalid, or does not apply",
        "16" => "The claim lacks information or has submission or billing errors",
        "18" => "Exact duplicate claim or service",
        "22" => "This care may be covered by another payer (coordination of benefits)",
        "23" => "The impact of prior payer adjudication",
        "26" => "Expenses incurred before coverage",
        "27" => "Expenses incurred after coverage ended",
        "29" => "The time limit for filing has expired",
        "31" => "The patient cannot be identified as our insured",
        "45" => "The charge exceeds the fee schedule or maximum allowable amount",
        "49" => "A routine or preventive service not covered",
        "50" => "Not deemed a medical necessity by the payer",
        "96" => "Non-covered charge",
        "97" => "The benefit is included in the payment for another service already adjudicated",
        "109" => "Not covered by this payer; submit to the correct payer",
        "119" => "The benefit maximum for this period has been reached",
        "151" => "The payer deems the information submitted does not support this many services",
        "167" => "The diagnosis is not covered",
        "170" => "Payment is denied when performed by this type of provider",
        "181" => "The procedure code was invalid on the date of service",
        "182" => "The procedure modifier was invalid on the date of service",
        "185" => "The rendering provider is not eligible to perform the service billed",
        "197" => "Precertification, notification or authorization is absent",
        "204" => "This service is not covered under the patient's current benefit plan",
        "226" => "Information requested from the provider was not provided or was insufficient",
        "242" => "Services not provided by network or primary care providers",
        "253" => "Sequestration: reduction of federal payment",
        _ => return None,
    })
}

/// "CO-45 The charge exceeds the fee schedule…" for lists.
pub fn describe(group: &str, reason: &str) -> String {
    match reason_text(reason) {
        Some(t) => t.to_string(),
        None => format!("{}, reason code {reason}", group_text(group)),
    }
}
