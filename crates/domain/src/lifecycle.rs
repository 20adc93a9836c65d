//! The appointment lifecycle. Only the transitions listed in `next` are legal.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppointmentStatus {
    Booked,
    Confirmed,
    Arrived,
    Roomed,
    WithProvider,
    Completed,
    Cancelled,
    NoShow,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 8] = [
        AppointmentStatus::Booked,
        AppointmentStatus::Confirmed,
        AppointmentStatus::Arrived,
        AppointmentStatus::Roomed,
        AppointmentStatus::WithProvider,
        AppointmentStatus::Completed,
        AppointmentStatus::Cancelled,
        AppointmentStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Confirmed => "confirmed",
            AppointmentStatus::Arrived => "arrived",
            AppointmentStatus::Roomed => "roomed",
            AppointmentStatus::WithProvider => "with-provider",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::NoShow => "no-show",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "Booked",
            AppointmentStatus::Confirmed => "Confirmed",
            AppointmentStatus::Arrived => "Checked in",
            AppointmentStatus::Roomed => "Roomed",
            AppointmentStatus::WithProvider => "With provider",
            AppointmentStatus::Completed => "Completed",
            AppointmentStatus::Cancelled => "Cancelled",
            AppointmentStatus::NoShow => "No-show",
        }
    }

    /// Statuses that hold a place on the schedule.
    pub fn is_active(self) -> bool {
        !matches!(
            self,
            AppointmentStatus::Cancelled | AppointmentStatus::NoShow
        )
    }

    /// Statuses from which nothing further happens to the visit.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Completed | AppointmentStatus::Cancelled | AppointmentStatus::NoShow
        )
    }

    /// The patient has not arrived yet, so the visit can still move in time.
    pub fn is_upcoming(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Booked | AppointmentStatus::Confirmed
        )
    }

    pub fn can_become(self, to: AppointmentStatus) -> bool {
        use AppointmentStatus::*;
        matches!(
            (self, to),
            (Booked, Confirmed)
                | (Booked | Confirmed, Arrived)
                | (Arrived, Roomed)
                | (Arrived | Roomed, WithProvider)
                | (WithProvider, Completed)
                | (Booked | Confirmed | Arrived | Roomed, Cancelled)
                | (Booked | Confirmed, NoShow)
        )
    }

    /// Why a transition is refused, in words for the person who asked for it.
    pub fn refusal(self, to: AppointmentStatus) -> String {
        if self == to {
            return format!(
                "The appointment is already {}.",
                self.label().to_lowercase()
            );
        }
        if self.is_final() {
            return format!(
                "The appointment is {} and can no longer become {}.",
                self.label().to_lowercase(),
                to.label().to_lowercase()
            );
        }
        format!(
            "An appointment that is {} cannot become {}.",
            self.label().to_lowercase(),
            to.label().to_lowercase()
        )
    }
}

impl fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AppointmentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        let alias = match norm.as_str() {
            "checked-in" => "arrived",
            "noshow" => "no-show",
            "canceled" => "cancelled",
            other => other,
        };
        AppointmentStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == alias)
            .ok_or_else(|| format!("unknown appointment status '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::AppointmentStatus::*;
    use super::*;

    #[test]
    fn the_normal_visit_path_is_legal() {
        let path = [Booked, Confirmed, Arrived, Roomed, WithProvider, Completed];
        for w in path.windows(2) {
            assert!(w[0].can_become(w[1]), "{} -> {}", w[0], w[1]);
        }
    }

    #[test]
    fn finished_visits_never_move_again() {
        for from in [Completed, Cancelled, NoShow] {
            for to in AppointmentStatus::ALL {
                assert!(!from.can_become(to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn a_patient_who_arrived_cannot_be_a_no_show() {
        assert!(!Arrived.can_become(NoShow));
        assert!(!Booked.can_become(Completed));
        assert!(Arrived.refusal(NoShow).contains("checked in"));
    }
}
