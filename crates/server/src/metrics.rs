//! Prometheus metrics, in the text exposition format. Labels are route
//! templates and status codes only: never a record, patient or device name.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    pub changes_accepted: AtomicU64,
    pub changes_duplicate: AtomicU64,
    pub changes_rejected: AtomicU64,
    pub changes_served: AtomicU64,
    /// Transactions the push writer committed, and the pushes in them.
    /// Shared with the writer, which counts them.
    pub push_groups: Arc<AtomicU64>,
    pub pushes_grouped: Arc<AtomicU64>,
    pub live_connections: AtomicI64,
    pub head: AtomicI64,
}

impl Metrics {
    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        out.push_str("# HELP clinicdesk_requests_total HTTP requests by route and status.\n# TYPE clinicdesk_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "clinicdesk_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP clinicdesk_request_duration_seconds HTTP request latency by route.\n# TYPE clinicdesk_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "clinicdesk_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(out, "clinicdesk_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(
                    out,
                    "clinicdesk_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "clinicdesk_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count
                );
            }
        }
        let counters = [
            (
                "clinicdesk_changes_accepted_total",
                "Changes stored from pushes.",
                &self.changes_accepted,
            ),
            (
                "clinicdesk_changes_duplicate_total",
                "Pushed changes already stored (retries).",
                &self.changes_duplicate,
            ),
            (
                "clinicdesk_changes_rejected_total",
                "Pushed changes refused.",
                &self.changes_rejected,
            ),
            (
                "clinicdesk_changes_served_total",
                "Changes sent to pulling devices.",
                &self.changes_served,
            ),
            (
                "clinicdesk_push_groups_total",
                "Transactions that stored pushes (group commit).",
                &self.push_groups,
            ),
            (
                "clinicdesk_pushes_grouped_total",
                "Pushes stored by those transactions.",
                &self.pushes_grouped,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        let gauges = [
            (
                "clinicdesk_live_connections",
                "Devices listening for live notifications.",
                &self.live_connections,
            ),
            (
                "clinicdesk_change_head",
                "The newest change cursor.",
                &self.head,
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_and_timed_per_route() {
        let m = Metrics::default();
        m.observe("/v1/changes", 200, 0.003);
        m.observe("/v1/changes", 200, 0.2);
        m.observe("/health", 200, 0.0001);
        let text = m.render();
        assert!(text.contains("clinicdesk_requests_total{route=\"/v1/changes\",status=\"200\"} 2"));
        assert!(text.contains(
            "clinicdesk_request_duration_seconds_bucket{route=\"/v1/changes\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "clinicdesk_request_duration_seconds_bucket{route=\"/v1/changes\",le=\"0.25\"} 2"
        ));
        assert!(text.contains("clinicdesk_request_duration_seconds_count{route=\"/health\"} 1"));
    }
}
