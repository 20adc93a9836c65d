//! A small W3C WebDriver client for driving the real app through
//! `tauri-driver` (which hands the session to WebKitWebDriver).

// Each test binary that includes this client uses a different part of it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
}

/// The W3C key for an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

#[derive(Clone)]
pub struct Element(String);

impl Session {
    pub fn start(driver: &str, application: &Path) -> Session {
        // Another test may have installed it already; either way one is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client");
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "wry",
            "tauri:options": { "application": application.display().to_string() }
        }}});
        // tauri-driver listens before the WebKitWebDriver behind it does, and
        // closes the connection of a session asked for too early: ask again.
        let mut tries = 0;
        let v: Value = loop {
            match http
                .post(format!("{driver}/session"))
                .json(&caps)
                .send()
                .and_then(|r| r.json())
            {
                Ok(v) => break v,
                Err(e) if tries < 10 && (e.is_request() || e.is_connect()) => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("tauri-driver answers: {e}"),
            }
        };
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"));
        Session {
            http,
            base: format!("{driver}/session/{id}"),
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or(json!({}))),
        };
        let v: Value = req
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        match v["value"].get("error") {
            Some(e) => Err(format!("{e}: {}", v["value"]["message"])),
            None => Ok(v["value"].clone()),
        }
    }

    /// Every element matching the CSS selector, now.
    pub fn all(&self, css: &str) -> Vec<Element> {
        self.send(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e[ELEMENT].as_str().map(|s| Element(s.to_string())))
        .collect()
    }

    /// The first displayed element matching `css`, waiting up to 20 s.
    pub fn find(&self, css: &str) -> Element {
        self.wait_for(css, Duration::from_secs(20))
            .unwrap_or_else(|| self.fail(&format!("nothing on screen matches {css}")))
    }

    pub fn wait_for(&self, css: &str, timeout: Duration) -> Option<Element> {
        let until = Instant::now() + timeout;
        loop {
            if let Some(e) = self.all(css).into_iter().find(|e| self.displayed(e)) {
                return Some(e);
            }
            if Instant::now() > until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the text of the first element matching `css` contains `want`.
    pub fn wait_text(&self, css: &str, want: &str) -> String {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self
                .all(css)
                .first()
                .map(|e| self.text(e))
                .unwrap_or_default();
            if text.contains(want) {
                return text;
            }
            if Instant::now() > until {
                self.fail(&format!("{css} says {text:?}, never {want:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Fails the test with what the window showed: a screenshot in
    /// `tests/screenshots/failure.png` and the page's text.
    pub fn fail(&self, what: &str) -> ! {
        let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots/failure.png");
        let _ = std::fs::create_dir_all(shot.parent().expect("a folder"));
        if let Ok(v) = self.send("GET", "/screenshot", None) {
            use base64::Engine;
            if let Ok(png) =
                base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default())
            {
                let _ = std::fs::write(&shot, png);
            }
        }
        let text = self
            .send("POST", "/execute/sync", Some(json!({ "script": "return document.body ? document.body.innerText : ''", "args": [] })))
            .unwrap_or_default();
        panic!(
            "{what}\nthe window showed (screenshot {}):\n{text}",
            shot.display()
        );
    }

    pub fn displayed(&self, e: &Element) -> bool {
        self.send("GET", &format!("/element/{}/displayed", e.0), None)
            .map(|v| v.as_bool().unwrap_or(false))
            .unwrap_or(false)
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.click_element(&e);
    }

    pub fn click_element(&self, e: &Element) {
        self.script(
            "arguments[0].scrollIntoView({block: 'center'})",
            json!([{ ELEMENT: e.0 }]),
        );
        self.send("POST", &format!("/element/{}/click", e.0), None)
            .unwrap_or_else(|err| panic!("click failed: {err}"));
    }

    /// Clears the field and types `text` into it.
    pub fn fill(&self, css: &str, text: &str) {
        let e = self.find(css);
        let _ = self.send("POST", &format!("/element/{}/clear", e.0), None);
        self.send(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        )
        .unwrap_or_else(|err| panic!("typing into {css} failed: {err}"));
    }

    /// Sets a field's value as the date picker would, then tells the page.
    pub fn set_value(&self, css: &str, value: &str) {
        let e = self.find(css);
        self.script(
            "const el = arguments[0]; el.value = arguments[1];\n\
             el.dispatchEvent(new Event('input', {bubbles: true}));\n\
             el.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([{ ELEMENT: e.0 }, value]),
        );
    }

    /// Chooses the option with `value` in a <select>, as a person would.
    pub fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"));
    }

    pub fn text(&self, e: &Element) -> String {
        self.send("GET", &format!("/element/{}/text", e.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub fn attr(&self, e: &Element, name: &str) -> Option<String> {
        self.send("GET", &format!("/element/{}/attribute/{name}", e.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    pub fn script(&self, js: &str, args: Value) -> Value {
        self.send(
            "POST",
            "/execute/sync",
            Some(json!({ "script": js, "args": args })),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Runs `js` as an async script: it calls its last argument with the
    /// result (W3C execute/async).
    pub fn script_async(&self, js: &str, args: Value) -> Value {
        self.send(
            "POST",
            "/execute/async",
            Some(json!({ "script": js, "args": args })),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Presses keys on whatever has focus (W3C actions).
    /// `key` pressed while `modifier` (a WebDriver key such as Shift,
    /// `\u{E008}`) is held down.
    pub fn chord(&self, modifier: char, key: char) {
        let step = |kind: &str, c: char| json!({ "type": kind, "value": c.to_string() });
        let actions = [
            step("keyDown", modifier),
            step("keyDown", key),
            step("keyUp", key),
            step("keyUp", modifier),
        ];
        self.send(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        )
        .unwrap_or_else(|e| panic!("keys failed: {e}"));
    }

    pub fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for c in keys.chars() {
            actions.push(json!({ "type": "keyDown", "value": c.to_string() }));
            actions.push(json!({ "type": "keyUp", "value": c.to_string() }));
        }
        self.send(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        )
        .unwrap_or_else(|e| panic!("keys failed: {e}"));
    }

    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let v = self
            .send("GET", "/screenshot", None)
            .unwrap_or_else(|e| panic!("screenshot failed: {e}"));
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        std::fs::write(path, png).expect("the screenshot is saved");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.send("DELETE", "", None);
    }
}

/// Where the window tests save their screenshots (named in the README).
pub fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

/// tauri-driver on its own ports, serving one app whose data is `data`.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    /// Stops tauri-driver, WebKitWebDriver and the app: they share the
    /// driver's process group.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// None (and a note on stderr) where the window cannot be driven: no display
/// or no drivers. CI always has both and requires the test to run.
pub fn driver(data: &Path) -> Option<Driver> {
    let have = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let missing: Vec<&str> = ["tauri-driver", "WebKitWebDriver"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    let no_display = std::env::var_os("DISPLAY").is_none();
    if no_display || !missing.is_empty() {
        let why = if no_display {
            "no DISPLAY".to_string()
        } else {
            format!("{} not installed (scripts/install.sh)", missing.join(", "))
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "the app test must run in CI: {why}"
        );
        eprintln!("skipping the window test: {why}");
        return None;
    }
    let (port, native) = (free_port(), free_port());
    let log = std::fs::File::create(data.join("tauri-driver.log")).expect("a driver log");
    let child = Command::new("tauri-driver")
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("CLINICDESK_DATA", data)
        // WebKitWebDriver's screenshots hang under Xvfb when WebKit paints
        // without compositing (the app's default, src-tauri/lib.rs); the
        // window tests keep the compositing path so they can take them.
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "0")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("a log handle"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("tauri-driver starts");
    // Owned at once, so it is stopped whatever happens next.
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(driver);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("tauri-driver did not start listening on {port}");
}
