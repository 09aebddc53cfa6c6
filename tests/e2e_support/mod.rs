//! Drives the real `yichuang` binary in a tmux pane, as a clerk at a terminal would: literal UTF-8
//! keys, named keys, bracketed paste, and screen captures to wait on.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_yichuang");

/// Whether tmux is installed (tests/run.sh installs it; a bare `cargo test` may lack it).
pub fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// A tmux session on a private socket running one command.
pub struct Tmux {
    socket: String,
    pub name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Tmux {
    /// Answers the desk's sign-in prompt (`NAME 的 PIN：`) with `pin`, as every tmux test of a
    /// desk with clerks signs in.
    pub fn sign_in(&self, name: &str, pin: &str) {
        self.wait_for(&format!("{name} 的 PIN："));
        self.type_text(pin);
        self.keys(&["Enter"]);
    }

    /// Starts `args` (after the binary) in a detached `width`x`height` session.
    pub fn start(args: &[&str], width: u16, height: u16) -> Self {
        Self::start_command(&binary_command(args), width, height)
    }

    /// An interactive shell without rc files, to run the binary from and see the terminal it
    /// leaves behind (`stty`, the alternate screen).
    pub fn shell(width: u16, height: u16) -> Self {
        let tmux = Self::start_command("env PS1='$ ' bash --norc --noprofile -i", width, height);
        tmux.wait_for("$");
        tmux
    }

    /// Types a command line into the shell and presses Enter.
    pub fn command(&self, line: &str) {
        self.type_text(line);
        self.keys(&["Enter"]);
    }

    /// Whether the pane shows the alternate screen (a full-screen program that has not left it).
    pub fn alternate_on(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", &self.name, "#{alternate_on}"]).trim() == "1"
    }

    /// The process the pane's shell runs now, if any.
    pub fn child_pid(&self) -> Option<u32> {
        let children = std::fs::read_to_string(format!("/proc/{}/task/{}/children", self.pid(), self.pid()))
            .unwrap_or_default();
        children.split_whitespace().next().and_then(|p| p.parse().ok())
    }

    fn start_command(command: &str, width: u16, height: u16) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let socket = format!("yichuang-test-{}-{n}", std::process::id());
        let tmux = Self { socket, name: format!("desk{n}") };
        let status = Command::new("tmux")
            .args(["-L", &tmux.socket, "-f", "/dev/null", "new-session", "-d", "-s", &tmux.name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg("-e")
            .arg("LANG=C.UTF-8")
            .arg(command)
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        tmux.tmux(&["set-option", "-t", &tmux.name, "remain-on-exit", "on"]);
        tmux
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types text as literal keys (UTF-8, one send per call).
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.name, "-l", text]);
    }

    /// Presses named keys (`Enter`, `Escape`, `F3`, `Up`, `C-t` …).
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", &self.name, key]);
        }
    }

    /// Presses named keys in one tmux command, so they reach the program in one burst (as a fast
    /// clerk's Esc and arrow do).
    pub fn burst(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend(keys);
        self.tmux(&args);
    }

    /// Pastes text as one bracketed paste.
    pub fn paste(&self, text: &str) {
        self.tmux(&["set-buffer", "-b", "clip", text]);
        self.tmux(&["paste-buffer", "-p", "-d", "-b", "clip", "-t", &self.name]);
    }

    /// The screen's text.
    pub fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.name])
    }

    /// Waits until the screen contains `text`; panics with the screen after `timeout`.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_within(text, Duration::from_secs(10))
    }

    /// Like `wait_for` with a chosen timeout.
    pub fn wait_for_within(&self, text: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if shows(&screen, text) {
                return self.settled(text, screen);
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {text:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The screen once two captures in a row agree: tmux may be caught halfway through a frame,
    /// so the text waited for can show before the rest of the same frame has been drawn.
    /// Gives up after a moment (a ticking clock never settles) and never returns a screen that
    /// lost the text.
    fn settled(&self, text: &str, mut screen: String) -> String {
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(40));
            let again = self.capture();
            if again == screen || !shows(&again, text) {
                break;
            }
            screen = again;
        }
        screen
    }

    /// Process id of the program in the pane.
    pub fn pid(&self) -> u32 {
        self.tmux(&["display-message", "-p", "-t", &self.name, "#{pane_pid}"])
            .trim()
            .parse()
            .expect("pane pid")
    }

    /// Kills the program with SIGKILL, as a power cut would.
    pub fn kill_9(&self) {
        let pid = self.pid();
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        let start = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the pane's program has exited.
    pub fn exited(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", &self.name, "#{pane_dead}"]).trim() == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}

/// The binary with `args`, quoted for a shell.
pub fn binary_command(args: &[&str]) -> String {
    let mut command = vec![BIN.to_string()];
    command.extend(args.iter().map(|a| shell_quote(a)));
    command.join(" ")
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs the binary to completion and returns stdout (panics on failure with stderr).
pub fn run(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("binary runs");
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `screen` shows `text`; wide characters may be captured with padding, so spaces are
/// ignored too.
fn shows(screen: &str, text: &str) -> bool {
    screen.contains(text) || screen.replace(' ', "").contains(&text.replace(' ', ""))
}
