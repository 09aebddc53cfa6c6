//! The clerk's sign-in on the command line (`case`, `doctor`, `sync`, `desk clerk set`): the same
//! check the desk's sign-in screen does (src/store/clerks.rs), releasing the store key for this
//! process. A desk where no clerk was ever set keeps a plaintext store and needs no sign-in.

use std::io::BufRead;
use std::path::Path;

use clap::Args;

use crate::store::clerks::{Clerks, SignedIn};

/// Sign-in flags shared by the desk's commands.
#[derive(Debug, Clone, Default, Args)]
pub struct SignInArgs {
    /// The clerk signing in (may be left out when the desk has one clerk).
    #[arg(long = "as", value_name = "NAME", global = true)]
    pub signer: Option<String>,
    /// Read the PIN from the first line of standard input instead of prompting (scripts, tests).
    #[arg(long, global = true)]
    pub pin_stdin: bool,
}

/// Reads a secret: the next line of stdin with `--pin-stdin`, else typed at the terminal unechoed.
pub fn read_pin(prompt: &str, from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    use std::io::IsTerminal;
    anyhow::ensure!(std::io::stdin().is_terminal(), "没有终端可输入 PIN：请加 --pin-stdin 从标准输入读取");
    eprint!("{prompt}");
    crossterm::terminal::enable_raw_mode()?;
    let mut pin = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => match key.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(anyhow::anyhow!("已取消"));
                }
                KeyCode::Esc => break Err(anyhow::anyhow!("已取消")),
                KeyCode::Backspace => {
                    pin.pop();
                }
                KeyCode::Char(c) => pin.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(e.into()),
        }
    };
    crossterm::terminal::disable_raw_mode()?;
    eprintln!();
    result.map(|()| pin)
}

/// The clerk named by `--clerk`, or the desk's only clerk.
pub fn clerk_name(clerks: &Clerks, args: &SignInArgs) -> anyhow::Result<String> {
    match (&args.signer, clerks.credentials.as_slice()) {
        (Some(name), _) => Ok(name.trim().to_string()),
        (None, [only]) => Ok(only.name.clone()),
        (None, _) => {
            let names: Vec<&str> = clerks.credentials.iter().map(|c| c.name.as_str()).collect();
            anyhow::bail!("请用 --as 指明登录的工作人员（本窗口：{}）", names.join("、"))
        }
    }
}

/// Signs a clerk in for this process when the desk in `data_dir` has clerks: verifies the PIN,
/// releases the store key (`crate::store::unlock`) and, on a first sign-in, encrypts a plaintext
/// store in place. `None` when the desk has no clerk (a plaintext store, as before sign-in existed).
pub fn sign_in(data_dir: &Path, args: &SignInArgs) -> anyhow::Result<Option<SignedIn>> {
    let mut clerks = Clerks::load(data_dir)?;
    let db = data_dir.join("desk.sqlite3");
    if !clerks.any() {
        anyhow::ensure!(
            !crate::store::is_encrypted(&db),
            "本地数据库 {} 已加密，但没有工作人员文件 {}：请从备份恢复该文件",
            db.display(),
            Clerks::path(data_dir).display()
        );
        return Ok(None);
    }
    let name = clerk_name(&clerks, args)?;
    let pin = read_pin(&format!("{name} 的 PIN："), args.pin_stdin)?;
    let (signed, changed) = match clerks.sign_in(&name, &pin, crate::store::session_key().as_ref()) {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(target: "desk::signin", clerk = %name, "sign-in refused: {e}");
            return Err(e.into());
        }
    };
    tracing::info!(target: "desk::signin", clerk = %signed.clerk, new_key = signed.new_key, "signed in");
    if changed {
        clerks.save(data_dir)?;
    }
    crate::store::clerks::set_desk_credentials(clerks.credentials.clone());
    crate::store::unlock(signed.key.clone());
    crate::store::set_session_clerk(Some(signed.clerk.clone()));
    Ok(Some(signed))
}
