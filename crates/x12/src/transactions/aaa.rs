//! AAA request validation codes of the 270/271 guide (005010X279A1): why a
//! payer could not answer, in words a receptionist can act on.

/// Plain-language text for an AAA03 reject reason code, None for codes the
/// guide does not list.
pub fn reason_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "04" => "The number of services asked about is more than the payer allows in one request.",
        "15" => "Information the payer needs is missing from the request.",
        "33" => "The request has errors in its data; check what was entered and try again.",
        "35" => "The provider is out of this plan's network.",
        "41" => "The payer does not allow this provider to ask about this patient.",
        "42" => "The payer's system cannot answer right now; try again later.",
        "43" => "The provider's identifier (NPI) is missing or not valid.",
        "44" => "The provider's name is missing or not valid.",
        "45" => "The provider's specialty is missing or not valid.",
        "46" => "The provider's phone number is missing or not valid.",
        "47" => "The provider's state is missing or not valid.",
        "48" => "The referring provider's identifier is missing or not valid.",
        "49" => "The provider is not the patient's primary care physician.",
        "50" => "This provider is not allowed to ask the payer about eligibility.",
        "51" => "The payer has no record of this provider.",
        "52" => "The date of service is outside the provider's enrollment with the plan.",
        "53" => "The benefit asked about does not fit this type of provider.",
        "54" => "The kind of procedure or service code sent is not appropriate.",
        "55" => "The procedure or service code sent is not appropriate.",
        "56" => "A date in the request is not appropriate.",
        "57" => "The date of service is missing or not valid.",
        "58" => "The date of birth is missing or not valid.",
        "60" => "The date of birth is after the date of service.",
        "61" => "The date of death is before the date of service.",
        "62" => "The date of service is outside the period the payer answers for.",
        "63" => "The date of service is in the future.",
        "64" => "The patient's identifier is missing or not valid.",
        "65" => "The patient's name is missing or not valid.",
        "66" => "The patient's gender is missing or not valid.",
        "67" => "The payer cannot find this patient.",
        "68" => "The payer has more than one patient with this identifier.",
        "69" => "The request does not fit the patient's age.",
        "70" => "The request does not fit the patient's gender.",
        "71" => "The date of birth does not match the payer's record for this patient.",
        "72" => "The member ID is missing or not valid.",
        "73" => "The subscriber's name is missing or not valid.",
        "74" => "The subscriber's gender is missing or not valid.",
        "75" => {
            "The payer cannot find this subscriber; check the member ID, name and date of birth."
        }
        "76" => "The payer has more than one subscriber with this member ID.",
        "77" => "The payer found the subscriber but not this patient (dependent).",
        "78" => "The subscriber is not in the group or plan named.",
        "79" => "The payer does not recognize the sender of the request.",
        "80" => "No answer came back; the request was ended.",
        "97" => "The provider's address is missing or not valid.",
        "98" => "The service is experimental and not covered.",
        "AA" => "The payer cannot find the authorization number.",
        "AE" => "The primary care physician must authorize this service.",
        "AF" => "A diagnosis code is missing or not valid.",
        "AG" => "A procedure code is missing or not valid.",
        "AO" => "The payer needs more information about the patient's condition.",
        "CI" => "The certification information does not match the patient.",
        "E8" => "The request needs medical review by the payer.",
        "IA" => "The authorization number is not in a valid format.",
        "MA" => "An authorization is required but missing.",
        "T4" => "The payer's name or identifier is missing.",
        _ => return None,
    })
}

/// Plain-language text for an AAA04 follow-up action code.
pub fn follow_up_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "C" => "Correct the request and send it again.",
        "N" => "Do not send this request again.",
        "P" => "Send the original request again.",
        "R" => "The request may be sent again.",
        "S" => "Do not send it again; the payer is asking a third party.",
        "W" => "Wait 30 days and send it again.",
        "X" => "Wait 10 days and send it again.",
        "Y" => "Do not send it again; the payer will answer later.",
        _ => return None,
    })
}

/// Every AAA03 code the guide lists.
pub const REASON_CODES: [&str; 55] = [
    "04", "15", "33", "35", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51", "52",
    "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "67", "68", "69",
    "70", "71", "72", "73", "74", "75", "76", "77", "78", "79", "80", "97", "98", "AA", "AE", "AF",
    "AG", "AO", "CI", "E8", "IA", "MA", "T4",
];
