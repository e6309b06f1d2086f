//! Debian's headless Chromium driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: JSON messages ending in NUL on file
//! descriptors 3 and 4). No WebDriver server and no WebSocket client: a
//! shell `exec` hands the child's stdin and stdout to Chromium as 3 and 4.
//! Every wait is bounded; the browser is closed, then killed, on drop.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use trustwatch_e2e::process::Child;

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Any one protocol call, and any one page load, finishes within this.
const STEP: Duration = Duration::from_secs(30);

pub struct Browser {
    input: ChildStdin,
    replies: Receiver<Value>,
    next_id: u64,
    session: Option<String>,
    child: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with a fresh profile and opens one 1280 × 900 tab.
    pub fn launch(log: &Path) -> Browser {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: install chromium (scripts/test does)"
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--disable-background-networking",
                "--remote-debugging-pipe",
                "--window-size=1280,900",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .env("HOME", profile.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(File::create(log).expect("chromium log"))
            .spawn()
            .expect("start chromium");
        let input = child.stdin.take().expect("chromium's pipe in");
        let output = child.stdout.take().expect("chromium's pipe out");
        let (tx, replies) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                if message.last() == Some(&0) {
                    message.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&message) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                message.clear();
            }
        });
        let mut browser = Browser {
            input,
            replies,
            next_id: 0,
            session: None,
            child: Child(child),
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"].as_str().expect("targetId").to_owned();
        let attached = browser.call(
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        browser.session = Some(
            attached["sessionId"]
                .as_str()
                .expect("sessionId")
                .to_owned(),
        );
        // A headless tab is never the focused window unless told so, and
        // typing goes to the focused element.
        browser.call(
            "Emulation.setFocusEmulationEnabled",
            json!({ "enabled": true }),
        );
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
        );
        browser
    }

    /// One protocol command in the tab's session (or the browser's, before
    /// one exists); its result, or a panic with the protocol's error.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.request(method, params)
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// As [`Browser::call`], with the protocol's error as a value (a page
    /// between two documents has no context to evaluate in for a moment).
    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).expect("JSON");
        bytes.push(0);
        self.input
            .write_all(&bytes)
            .and_then(|()| self.input.flush())
            .unwrap_or_else(|e| panic!("{method}: chromium's pipe: {e}"));
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = self.replies.recv_timeout(left).unwrap_or_else(|e| {
                panic!("{method}: no answer from chromium within {STEP:?}: {e}")
            });
            if reply["id"] == json!(id) {
                if let Some(error) = reply.get("error") {
                    return Err(error.to_string());
                }
                return Ok(reply["result"].clone());
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    pub fn eval(&mut self, expression: &str) -> Value {
        self.try_eval(expression)
            .unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    fn try_eval(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.request(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        )?;
        if let Some(e) = result.get("exceptionDetails") {
            return Err(e.to_string());
        }
        Ok(result["result"]["value"].clone())
    }

    /// Marks the current document, so a wait can tell the next one from it.
    fn mark(&mut self) {
        let _ = self.try_eval("window.twOld = true");
    }

    /// Clicks the element `selector` names and expects a new page.
    pub fn click(&mut self, selector: &str) {
        self.mark();
        let found = self.eval(&format!(
            "(e => e ? (e.click(), true) : false)(document.querySelector({}))",
            json!(selector)
        ));
        assert_eq!(found, json!(true), "nothing on the page matches {selector}");
    }

    /// Waits until a new document (not the one before the last `open` or
    /// `click`) at a path `done` accepts has loaded.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let state = self
                .try_eval(
                    "location.pathname + location.search + (window.twOld ? ' old ' : ' new ') + document.readyState",
                )
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .unwrap_or_else(|e| format!("no document yet: {e}"));
            if let Some(path) = state.strip_suffix(" new complete") {
                if done(path) {
                    return path.to_owned();
                }
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not load within {STEP:?} (at {state})"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Opens `url` and waits for it to load.
    pub fn open(&mut self, url: &str, path: &str) {
        self.mark();
        self.call("Page.navigate", json!({ "url": url }));
        self.wait_for(path, |p| p == path);
    }

    /// What a person sees as text.
    pub fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A PNG of the 1280 × 900 viewport.
    pub fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 PNG");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely, give it a moment, then `Child` kills it.
        self.session = None;
        self.next_id += 1;
        let close = json!({ "id": self.next_id, "method": "Browser.close" });
        let mut bytes = serde_json::to_vec(&close).unwrap_or_default();
        bytes.push(0);
        let _ = self.input.write_all(&bytes);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
