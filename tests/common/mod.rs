//! Helpers for the end-to-end tests of `clinicdesk-cli`: find the built
//! binary, make a clinic in a temporary data directory, run commands as a
//! user, and know what time it is in the clinic.
#![allow(dead_code)]

pub mod server;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct User {
    pub name: &'static str,
    pub password: &'static str,
}

pub const ADMIN: User = User {
    name: "admin",
    password: "admin-password-1",
};

/// Every variable the binary reads, cleared so the caller's shell cannot leak in.
const CLINICDESK_VARS: [&str; 6] = [
    "CLINICDESK_DATA",
    "CLINICDESK_USER",
    "CLINICDESK_PASSWORD",
    "CLINICDESK_NEW_PASSWORD",
    "CLINICDESK_KEY_PASSPHRASE",
    "CLINICDESK_NEW_KEY_PASSPHRASE",
];

/// `<dir of this test executable>/../clinicdesk-cli`: the workspace build
/// puts the binaries one level above the test executables in `deps/`.
pub fn bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let deps = exe.parent().expect("the test executable is in a directory");
    let path = deps
        .join("..")
        .join(format!("clinicdesk-cli{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} does not exist: run cargo build -p clinicdesk-cli first",
        path.display()
    );
    path
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns the run.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "`clinicdesk-cli {}` failed\nstdout: {}\nstderr: {}",
            self.args.join(" "),
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts failure with `code`, an `error: ` sentence on stderr that
    /// contains `needle`, and nothing on stdout.
    #[track_caller]
    pub fn fails(self, code: i32, needle: &str) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "`clinicdesk-cli {}` should exit with {code}\nstdout: {}\nstderr: {}",
            self.args.join(" "),
            self.stdout,
            self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "`clinicdesk-cli {}`: stderr should mention {needle:?}: {}",
            self.args.join(" "),
            self.stderr
        );
        assert!(
            self.stderr.starts_with("error: "),
            "stderr: {}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "stderr: {}", self.stderr);
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`clinicdesk-cli {}` did not print JSON ({e}): {}",
                self.args.join(" "),
                self.stdout
            )
        })
    }
}

/// Runs the binary with `args`, no stdin (so it never prompts), and the
/// given environment on top of a clean one.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = command(args, env).output().expect("clinicdesk-cli starts");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The binary with `args` and the given environment on top of a clean one.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    for v in CLINICDESK_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `clinicdesk-cli --data DATA join URL CODE` as a computer called `name`
/// shown as "Joining Desk" in `zone` until the clinic's own name and zone
/// arrive, with `--json`.
pub fn join(data: &Path, url: &str, code: &str, name: &str, zone: &Zone) -> Run {
    run(
        &[
            "--data",
            data.to_str().expect("a UTF-8 temp path"),
            "join",
            url,
            code,
            "--name",
            name,
            "--clinic-name",
            "Joining Desk",
            "--timezone",
            &zone.name,
            "--json",
        ],
        &[],
    )
}

/// `schedule template add` for Dr Hopper at Main Street: 15-minute office
/// visits all day on `now`'s weekday, from `now`'s date.
pub fn whole_day_template(now: &LocalNow) -> Vec<&str> {
    vec![
        "schedule",
        "template",
        "add",
        "--provider",
        "Hopper",
        "--location",
        "Main Street",
        "--weekday",
        now.weekday,
        "--start",
        "00:00",
        "--end",
        "23:45",
        "--slot-minutes",
        "15",
        "--type",
        "Office visit",
        "--from",
        &now.date,
    ]
}

/// A fixed-offset zone chosen so that it is mid-morning in the clinic now:
/// visits booked an hour or two ahead are still today, whenever the tests run.
#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    pub offset_hours: i64,
}

impl Zone {
    pub fn mid_morning() -> Zone {
        let hour = (unix_now() / 3600).rem_euclid(24);
        let mut offset = (10 - hour).rem_euclid(24);
        if offset > 14 {
            offset -= 24;
        }
        // IANA's Etc zones count the other way round: Etc/GMT-5 is UTC+5.
        let name = match offset {
            0 => "UTC".to_string(),
            o if o > 0 => format!("Etc/GMT-{o}"),
            o => format!("Etc/GMT+{}", -o),
        };
        Zone {
            name,
            offset_hours: offset,
        }
    }

    pub fn now(&self) -> LocalNow {
        let local = unix_now() + self.offset_hours * 3600;
        let days = local.div_euclid(86_400);
        LocalNow {
            date: civil_date(days),
            minutes: local.rem_euclid(86_400) / 60,
            weekday: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                [(days + 3).rem_euclid(7) as usize],
        }
    }
}

/// The clinic's wall clock.
#[derive(Debug, Clone)]
pub struct LocalNow {
    /// YYYY-MM-DD
    pub date: String,
    /// Minutes since local midnight.
    pub minutes: i64,
    pub weekday: &'static str,
}

impl LocalNow {
    /// `YYYY-MM-DDTHH:MM` today at `minutes` after midnight.
    pub fn at(&self, minutes: i64) -> String {
        assert!(minutes < 24 * 60, "{minutes} minutes is not today");
        format!("{}T{}", self.date, hhmm(minutes))
    }

    /// The first quarter hour at least `ahead` minutes from now.
    pub fn quarter_after(&self, ahead: i64) -> i64 {
        (self.minutes + ahead + 14) / 15 * 15
    }
}

pub fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
}

/// Days since 1970-01-01 as a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A clinic in a temporary data directory, created with `init`.
pub struct Clinic {
    pub tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub zone: Zone,
    /// Extra environment for every run (the key-file passphrase).
    pub env: Vec<(String, String)>,
}

impl Clinic {
    /// A clinic whose key is in the OS keychain.
    pub fn new() -> Clinic {
        Clinic::create(&[], &[])
    }

    /// `init` with extra arguments and environment, which later runs keep.
    pub fn create(extra_args: &[&str], env: &[(&str, &str)]) -> Clinic {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        // A directory that does not exist yet: init makes it.
        let data = tmp.path().join("clinic-data");
        let zone = Zone::mid_morning();
        let clinic = Clinic {
            tmp,
            data,
            zone,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let mut args = vec![
            "init",
            "--admin",
            ADMIN.name,
            "--display-name",
            "Ada Admin",
            "--clinic-name",
            "Test Clinic",
            "--timezone",
            &clinic.zone.name,
        ];
        args.extend_from_slice(extra_args);
        let mut init_env = clinic.env_pairs();
        init_env.push(("CLINICDESK_PASSWORD", ADMIN.password));
        let out = clinic.raw(&args, &init_env).ok();
        assert!(
            out.stdout.contains("Test Clinic"),
            "init said: {}",
            out.stdout
        );
        clinic
    }

    pub fn dir(&self) -> &Path {
        &self.data
    }

    fn env_pairs(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// `clinicdesk-cli --data DIR ARGS` with `env` and nothing else.
    pub fn raw(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let data = self.data.to_str().expect("a UTF-8 temp path");
        let mut all = vec!["--data", data];
        all.extend_from_slice(args);
        run(&all, env)
    }

    /// Runs as `user`, whose password is in CLINICDESK_PASSWORD.
    pub fn run_as(&self, user: &User, args: &[&str]) -> Run {
        self.run_with(user, args, &[])
    }

    /// Runs as `user` with extra environment.
    pub fn run_with(&self, user: &User, args: &[&str], env: &[(&str, &str)]) -> Run {
        let (all, e) = self.as_user(user, args, env);
        self.raw(&all, &e)
    }

    /// The command `run_as` runs, to start without waiting for it.
    pub fn command_as(&self, user: &User, args: &[&str]) -> Command {
        let (mut all, e) = self.as_user(user, args, &[]);
        let data = self.data.to_str().expect("a UTF-8 temp path");
        all.splice(0..0, ["--data", data]);
        command(&all, &e)
    }

    fn as_user<'a>(
        &'a self,
        user: &'a User,
        args: &[&'a str],
        env: &[(&'a str, &'a str)],
    ) -> (Vec<&'a str>, Vec<(&'a str, &'a str)>) {
        let mut all = vec!["--user", user.name];
        all.extend_from_slice(args);
        let mut e = self.env_pairs();
        e.push(("CLINICDESK_PASSWORD", user.password));
        e.extend_from_slice(env);
        (all, e)
    }

    /// Runs as `user` with `--json`, asserts success and parses the output.
    #[track_caller]
    pub fn json(&self, user: &User, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        self.run_as(user, &all).ok().json()
    }

    /// Adds a user as the administrator.
    pub fn add_user(
        &self,
        user: &User,
        role: &str,
        display: &str,
        provider: Option<&str>,
    ) -> Value {
        let mut args = vec![
            "user", "add", user.name, "--role", role, "--name", display, "--json",
        ];
        if let Some(p) = provider {
            args.extend_from_slice(&["--provider", p]);
        }
        self.run_with(&ADMIN, &args, &[("CLINICDESK_NEW_PASSWORD", user.password)])
            .ok()
            .json()
    }
}

/// A JSON string field, or a panic naming what is missing.
#[track_caller]
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key:?} in {v:#}"))
}
