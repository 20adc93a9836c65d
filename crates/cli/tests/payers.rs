//! Payer connections from the command line: `payers set|show|secret`,
//! and `claim fetch` picking up an SFTP drop served by the OpenSSH server
//! of scripts/with-sshd.sh. The store's key and the SFTP secret live in the
//! OS keychain (scripts/with-keyring.sh).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ADMIN: (&str, &str) = ("admin", "admin-password-12");
const BILLER: (&str, &str) = ("biller", "biller-password-12");

struct Clinic {
    _tmp: tempfile::TempDir,
    data: PathBuf,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn fails(self, needle: &str) -> Run {
        assert_eq!(
            self.code, 1,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not in: {}",
            self.stderr
        );
        self
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

fn run(data: &Path, user: Option<(&str, &str)>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clinicdesk-cli"));
    cmd.arg("--data").arg(data);
    cmd.env_remove("CLINICDESK_USER")
        .env_remove("CLINICDESK_PASSWORD");
    if let Some((name, password)) = user {
        cmd.args(["--user", name])
            .env("CLINICDESK_PASSWORD", password);
    }
    let out: Output = cmd
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("clinicdesk-cli runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Clinic {
    fn new() -> Clinic {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("clinic");
        run(
            &data,
            None,
            &["init", "--admin", ADMIN.0, "--timezone", "America/New_York"],
            &[("CLINICDESK_PASSWORD", ADMIN.1)],
        )
        .ok();
        run(
            &data,
            Some(ADMIN),
            &[
                "user",
                "add",
                BILLER.0,
                "--role",
                "biller",
                "--name",
                "Bill Biller",
            ],
            &[("CLINICDESK_NEW_PASSWORD", BILLER.1)],
        )
        .ok();
        Clinic { _tmp: tmp, data }
    }

    fn dir(&self) -> &Path {
        &self.data
    }

    fn run_as(&self, user: (&str, &str), args: &[&str]) -> Run {
        run(&self.data, Some(user), args, &[])
    }

    fn run_with(&self, user: (&str, &str), args: &[&str], env: &[(&str, &str)]) -> Run {
        run(&self.data, Some(user), args, env)
    }

    #[track_caller]
    fn json(&self, user: (&str, &str), args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        self.run_as(user, &all).ok().json()
    }
}

/// An SFTP drop set up from the command line and picked up from against
/// the OpenSSH server of scripts/with-sshd.sh: the settings with a pinned
/// host key, the passwords' state, `claim fetch` applying a 999 and leaving
/// a file it cannot read, and a wrong host key refused.
#[test]
fn an_sftp_drop_is_set_up_and_its_inbound_files_are_picked_up() {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let (Some(host), Some(root)) = (var("CLINICDESK_SFTP_HOST"), var("CLINICDESK_SFTP_ROOT"))
    else {
        let msg = "CLINICDESK_SFTP_HOST is not set; run under scripts/with-sshd.sh";
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        println!("skipped: {msg}");
        return;
    };
    let user = var("CLINICDESK_SFTP_USER").unwrap();
    let root = PathBuf::from(root);
    let inbound = root.join("cli-in");
    let outbound = root.join("cli-out");
    for d in [&inbound, &outbound] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
        let _ = std::process::Command::new("chown")
            .arg(&user)
            .arg(d)
            .status();
    }
    let clinic = Clinic::new();
    let settings = |fingerprint: &str| {
        serde_json::json!({
            "billing": null,
            "connections": [{
                "name": "Harbour Drop",
                "endpoint": "https://core.example.org/core",
                "sender_id": "CLINIC01",
                "receiver_id": "CLEARINGHOUSE",
                "username": "clinic",
                "timeout_secs": 10,
                "transport": {
                    "kind": "sftp",
                    "host": host,
                    "port": var("CLINICDESK_SFTP_PORT").unwrap().parse::<u16>().unwrap(),
                    "username": user,
                    "private_key": var("CLINICDESK_SFTP_KEY").unwrap(),
                    "outbound_dir": outbound,
                    "inbound_dir": inbound,
                    "host_key_sha256": fingerprint,
                }
            }]
        })
    };
    let file = clinic.dir().join("payers.json");
    let real = var("CLINICDESK_SFTP_HOSTKEY_SHA256").unwrap();
    std::fs::write(&file, settings(&real).to_string()).unwrap();
    clinic
        .run_as(BILLER, &["payers", "set", file.to_str().unwrap()])
        .fails("");
    clinic.json(ADMIN, &["payers", "set", file.to_str().unwrap()]);
    clinic
        .run_with(
            ADMIN,
            &["payers", "secret", "Harbour Drop", "--sftp"],
            &[("CLINICDESK_PAYER_SECRET", "key passphrase not needed")],
        )
        .ok();
    let shown = clinic.json(ADMIN, &["payers", "show"]);
    assert_eq!(shown["passwords"][0]["sftp_secret"], true, "{shown:#}");
    assert_eq!(shown["passwords"][0]["core_password"], false, "{shown:#}");
    assert_eq!(
        shown["settings"]["connections"][0]["transport"]["host_key_sha256"],
        real.as_str()
    );

    // Nothing sent yet: nothing to ask about, nothing to pick up.
    let none = clinic.run_as(BILLER, &["claim", "status", "--all"]).ok();
    assert!(none.stdout.contains("No sent claims"), "{}", none.stdout);
    let empty = clinic.run_as(BILLER, &["claim", "fetch"]).ok();
    assert!(
        empty.stdout.contains("Harbour Drop: nothing new"),
        "{}",
        empty.stdout
    );

    // A 999 for a batch this clinic never sent is applied (and said to be
    // unknown) and moved; a file that is not X12 stays where it was.
    let ack = "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*CLINIC01       *261122*1200*^*00501*000000777*0*T*:~GS*FA*CLEARINGHOUSE*CLINIC01*20261122*1200*777*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*42*005010X222A1~AK2*837*0001*005010X222A1~IK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*777~IEA*1*000000777~";
    std::fs::write(inbound.join("a.999"), ack).unwrap();
    std::fs::write(inbound.join("b.txt"), "not a payer file").unwrap();
    let r = clinic
        .run_as(BILLER, &["claim", "fetch", "--connection", "harbour drop"])
        .fails("had files or errors");
    assert!(
        r.stdout.contains("a.999: not known here: batch 42"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("b.txt: not applied"), "{}", r.stdout);
    assert!(inbound.join("processed/a.999").is_file());
    assert!(inbound.join("b.txt").is_file());

    // A server with another host key is refused.
    std::fs::write(
        &file,
        settings("SHA256:0OsfNd6j1cE1K4C+0pGHU/YWfjuF6fJmmCs7+vaFMfE").to_string(),
    )
    .unwrap();
    clinic.json(ADMIN, &["payers", "set", file.to_str().unwrap()]);
    let r = clinic.run_as(BILLER, &["claim", "fetch"]).fails("");
    assert!(r.stdout.contains("not the pinned"), "{}", r.stdout);
}
