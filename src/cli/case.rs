//! `yichuang case list|show [--json]`: the local store's cases for scripts and support. Lists mask
//! ID numbers; `show` prints the whole case and its journal with ID and phone numbers masked, and
//! in full only with `--reveal`, which the desk store's audit records (who asked, when).

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use crate::intake::case::{Case, CaseEvent, Delivery, Field};
use crate::intake::validate::{mask_id, mask_phone};
use crate::kb::Kb;
use crate::kb::forms::FieldKind;

/// Case subcommands.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Cases matching a query (number, name, ID number, item code or item name), newest first.
    List {
        /// Search text; empty lists recent cases.
        #[arg(default_value = "")]
        query: String,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// One case by number or id, with its journal.
    Show {
        /// Case number (HRBDL-05-20261128-0001) or local id.
        case: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Print ID and phone numbers in full (recorded in the audit with who asked and when).
        #[arg(long)]
        reveal: bool,
    },
}

/// The mask of a personal number in `field`, if the field holds one (credit codes are public).
fn mask_field(field: Field, value: &str) -> Option<String> {
    match field {
        Field::IdNumber | Field::AgentIdNumber => Some(mask_id(value)),
        Field::Phone | Field::AgentPhone | Field::MailPhone => Some(mask_phone(value)),
        _ => None,
    }
}

/// The mask of an agency form value, when the form's field holds an ID or phone number.
fn mask_form_value(kb: &Kb, form: &str, field: &str, value: &str) -> String {
    let kind = kb
        .forms
        .iter()
        .filter(|f| f.id == form)
        .flat_map(|f| f.sections.iter().flat_map(|s| s.fields.iter()))
        .find(|f| f.id == field)
        .map(|f| f.kind);
    match kind {
        Some(FieldKind::IdCard) => mask_id(value),
        Some(FieldKind::Mobile | FieldKind::Phone) => mask_phone(value),
        _ => value.to_string(),
    }
}

/// The case with every ID and phone number masked.
fn masked_case(kb: &Kb, case: &Case) -> Case {
    let mut case = case.clone();
    for (field, value) in case.fields.iter_mut() {
        if let Some(masked) = mask_field(*field, value) {
            *value = masked;
        }
    }
    if let Some(form) = case.form_id.clone() {
        for (field, value) in case.form_values.iter_mut() {
            *value = mask_form_value(kb, &form, field, value);
        }
    }
    for (form, values) in case.other_forms.iter_mut() {
        for (field, value) in values.iter_mut() {
            *value = mask_form_value(kb, form, field, value);
        }
    }
    if case.delivery == Delivery::Window
        && let Some((_, reference, _)) = &mut case.handover
    {
        *reference = mask_id(reference);
    }
    case
}

/// A journal entry with every ID and phone number masked; `delivery` tells whether a handover's
/// reference is the collector's ID (window) or a tracking number (mail).
fn masked_event(kb: &Kb, event: &CaseEvent, delivery: Delivery) -> CaseEvent {
    match event {
        CaseEvent::FieldSet { field, value } => match mask_field(*field, value) {
            Some(value) => CaseEvent::FieldSet { field: *field, value },
            None => event.clone(),
        },
        CaseEvent::FormValueSet { form, field, value } => CaseEvent::FormValueSet {
            form: form.clone(),
            field: field.clone(),
            value: mask_form_value(kb, form, field, value),
        },
        CaseEvent::HandedOver { to, reference, at } if delivery == Delivery::Window => {
            CaseEvent::HandedOver { to: to.clone(), reference: mask_id(reference), at: *at }
        }
        _ => event.clone(),
    }
}

/// Runs a case subcommand against the desk store in `data_dir`.
pub fn run(command: CaseCommand, kb: &Kb, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let mut store = super::desk::open_store(data_dir)?;
    match command {
        CaseCommand::List { query, limit, json } => {
            let mut rows = store.list(&query, &kb.codes_named(&query), limit)?;
            for row in &mut rows {
                row.id_number = row.id_number.as_deref().map(mask_id);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in &rows {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        r.number.as_deref().unwrap_or("-"),
                        crate::time::show(r.created_at, "%Y-%m-%d %H:%M"),
                        r.item_code.as_deref().unwrap_or("-"),
                        r.applicant_name.as_deref().unwrap_or("-"),
                        r.id_number.as_deref().unwrap_or("-"),
                        r.status.label(),
                    );
                }
                println!("共 {} 件", rows.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Show { case, json, reveal } => {
            let Some(id) = store.find(&case)? else {
                eprintln!("没有案件 {case}");
                return Ok(ExitCode::from(1));
            };
            let mut snapshot = store.load(&id)?;
            let mut events = store.events(&id)?;
            if reveal {
                // PIPL: who saw the personal numbers in full, and when.
                let config = crate::tui::effects::load_config(&store)?;
                let desk = config
                    .map(|c| format!("{} {}-{} 号窗口", c.clerk, c.center, c.window))
                    .unwrap_or_else(|| "未设置的窗口".into());
                let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_default();
                let detail = format!("case show --reveal（{desk}，系统用户 {user}）");
                store.audit(crate::time::now(), desk.trim(), "reveal", Some(&id), &detail)?;
            } else {
                let delivery = snapshot.delivery;
                snapshot = masked_case(kb, &snapshot);
                for (_, _, event) in &mut events {
                    *event = masked_event(kb, event, delivery);
                }
            }
            // Who recorded each entry (the clerk signed in then; none before sign-in existed).
            let clerks: std::collections::HashMap<i64, String> =
                store.event_clerks(&id)?.into_iter().filter_map(|(seq, c)| Some((seq, c?))).collect();
            if json {
                let journal: Vec<_> = events
                    .iter()
                    .map(|(seq, at, event)| {
                        serde_json::json!({ "seq": seq, "at": at, "clerk": clerks.get(seq), "event": event })
                    })
                    .collect();
                let out = serde_json::json!({ "id": id, "case": snapshot, "journal": journal });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("案件 {} ({id})", snapshot.number.as_deref().unwrap_or("办理中"));
                println!("状态 {}", snapshot.status.label());
                let mut by: Vec<&str> = clerks.values().map(String::as_str).collect();
                by.sort_unstable();
                by.dedup();
                if !by.is_empty() {
                    println!("经办 {}", by.join("、"));
                }
                for (seq, at, event) in events {
                    println!(
                        "{seq:>4} {} {} {}",
                        crate::time::show(at, "%Y-%m-%d %H:%M:%S"),
                        clerks.get(&seq).map_or("-", String::as_str),
                        serde_json::to_string(&event)?
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
