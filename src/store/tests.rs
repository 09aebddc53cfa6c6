use super::*;
use crate::intake::MaterialState;
use crate::intake::case::Step;

fn at(s: &str) -> DateTime<Utc> {
    crate::time::parse_hall(s).unwrap()
}

fn accept() -> Decision {
    Decision::Accept { promised_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), commitments: Vec::new() }
}

#[test]
fn a_case_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let id = {
        let mut store = Store::open(&path, StoreKind::Desk).unwrap();
        let id = store.create_case(at("2026-11-30 09:00")).unwrap();
        store
            .append(
                &id,
                CaseEvent::FieldSet { field: Field::ApplicantName, value: "张三".into() },
                at("2026-11-30 09:01"),
            )
            .unwrap();
        store.append(&id, CaseEvent::StepEntered { step: Step::Checklist }, at("2026-11-30 09:02")).unwrap();
        store
            .append(
                &id,
                CaseEvent::MaterialMarked { id: "a".into(), state: Some(MaterialState::Ok) },
                at("2026-11-30 09:03"),
            )
            .unwrap();
        id
    };
    let mut store = Store::open(&path, StoreKind::Desk).unwrap();
    assert_eq!(store.open_draft().unwrap().as_deref(), Some(id.as_str()));
    let case = store.load(&id).unwrap();
    assert_eq!(case.field(Field::ApplicantName), "张三");
    assert_eq!(case.step, Step::Checklist);
    assert_eq!(case.materials["a"], MaterialState::Ok);
    assert_eq!(case.started_at, Some(at("2026-11-30 09:00")));
}

#[test]
fn case_numbers_count_per_day() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let mut numbers = Vec::new();
    for t in ["2026-11-30 09:00", "2026-11-30 10:00", "2026-12-01 09:00"] {
        let id = store.create_case(at(t)).unwrap();
        numbers.push(store.finish(&id, "PF", "W03", accept(), at(t)).unwrap().number.clone().unwrap());
    }
    assert_eq!(numbers, ["PF-W03-20261130-0001", "PF-W03-20261130-0002", "PF-W03-20261201-0001"]);
    assert_eq!(store.open_draft().unwrap(), None);
}

#[test]
fn outbox_gets_the_history_on_finishing_and_each_later_event() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let id = store.create_case(at("2026-11-30 09:00")).unwrap();
    store
        .append(
            &id,
            CaseEvent::FieldSet { field: Field::Ticket, value: "A001".into() },
            at("2026-11-30 09:00"),
        )
        .unwrap();
    assert_eq!(store.outbox_count().unwrap(), 0);
    store.finish(&id, "PF", "W03", accept(), at("2026-11-30 09:10")).unwrap();
    // Started, the ticket, finished and the query code (an accepted case).
    assert_eq!(store.outbox_count().unwrap(), 4);
    store
        .append(
            &id,
            CaseEvent::HandedOver { to: "张三".into(), reference: "x".into(), at: at("2026-12-01 09:00") },
            at("2026-12-01 09:00"),
        )
        .unwrap();
    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 5);
    assert!(pending.windows(2).all(|w| w[0].id < w[1].id));
    assert!(pending[4].body.contains("handed_over"));
}

#[test]
fn the_journal_is_append_only() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let id = store.create_case(at("2026-11-30 09:00")).unwrap();
    assert!(store.conn.execute("UPDATE case_events SET body = '{}' WHERE case_id = ?1", [&id]).is_err());
    assert!(store.conn.execute("DELETE FROM case_events", []).is_err());
}

#[test]
fn audit_chain_detects_tampering() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    for i in 0..3 {
        store.audit(at("2026-11-30 09:00"), "W03", "view", Some("c"), &format!("{i}")).unwrap();
    }
    assert_eq!(store.verify_audit().unwrap(), 3);
    store
        .conn
        .execute_batch("DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'x' WHERE id = 2;")
        .unwrap();
    assert!(matches!(store.verify_audit(), Err(AuditError::Broken(2))));
}

#[test]
fn a_drill_database_cannot_be_opened_as_a_desk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drill.db");
    Store::open(&path, StoreKind::Drill).unwrap();
    assert!(matches!(Store::open(&path, StoreKind::Desk), Err(StoreError::WrongKind { .. })));
}

#[test]
fn list_searches_number_name_id_and_item() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let id = store.create_case(at("2026-11-30 09:00")).unwrap();
    for (field, value) in [(Field::ApplicantName, "王小明"), (Field::IdNumber, "23010819800101123X")] {
        store
            .append(&id, CaseEvent::FieldSet { field, value: value.into() }, at("2026-11-30 09:01"))
            .unwrap();
    }
    store
        .append(
            &id,
            CaseEvent::ItemChosen { code: "RS0001".into(), kb_version: "1".into() },
            at("2026-11-30 09:01"),
        )
        .unwrap();
    store.finish(&id, "PF", "W03", accept(), at("2026-11-30 09:10")).unwrap();
    store.create_case(at("2026-11-30 10:00")).unwrap();
    for q in ["王小", "1123X", "RS0001", "20261130-0001"] {
        let found = store.list(q, &[], 10).unwrap();
        assert_eq!(found.len(), 1, "{q}");
        assert_eq!(found[0].status, Status::Accepted);
    }
    assert_eq!(store.list("", &[], 10).unwrap().len(), 2);
    assert_eq!(store.list("100%", &[], 10).unwrap().len(), 0);
    // By the item's name: the KB gives the codes of the items so named.
    let kb = crate::kb::Kb::embedded().unwrap();
    let named = kb.codes_named(&kb.item("RS0001").unwrap().name);
    assert_eq!(store.list("no such text", &named, 10).unwrap().len(), 1);
    assert_eq!(store.list("no such text", &["GA0001"], 10).unwrap().len(), 0);
}

#[test]
fn a_call_leaves_at_once_from_a_draft_and_replies_never_go_back() {
    use crate::intake::call::{CallSnapshot, CallState, Reply};
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let id = store.create_case(at("2026-11-30 09:00")).unwrap();
    let raised = CaseEvent::CallRaised {
        call_id: "call-1".into(),
        question: "租赁合同未备案能否受理？".into(),
        snapshot: CallSnapshot::default(),
        at: at("2026-11-30 09:05"),
    };
    store.append(&id, raised, at("2026-11-30 09:05")).unwrap();
    assert_eq!(store.outbox_count().unwrap(), 1, "the call is in the outbox while the case is a draft");
    let ringing = CaseEvent::CallStateChanged {
        call_id: "call-1".into(),
        state: CallState::Ringing,
        at: at("2026-11-30 09:05"),
    };
    store.append(&id, ringing, at("2026-11-30 09:05")).unwrap();
    let reply =
        Reply { by: "刘审批".into(), text: "可以，容缺受理".into(), at: at("2026-11-30 09:06") };
    store
        .append(&id, CaseEvent::CallReplied { call_id: "call-1".into(), reply }, at("2026-11-30 09:06"))
        .unwrap();
    assert_eq!(store.outbox_count().unwrap(), 1, "HQ's own events are not pushed back");
    let case = store.finish(&id, "HRBDL", "05", accept(), at("2026-11-30 09:10")).unwrap().clone();
    assert_eq!(case.calls[0].state, CallState::Answered);
    // Started + call + finished + query code; the call is not queued twice, the HQ events not at all.
    assert_eq!(store.outbox_count().unwrap(), 4);
}

#[test]
fn a_drill_database_is_never_a_desk_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drill.sqlite3");
    let drill = Store::open(&path, StoreKind::Drill).unwrap();
    assert!(drill.require_desk().is_err(), "the sync worker must refuse it");
    drop(drill);
    assert!(matches!(Store::open(&path, StoreKind::Desk), Err(StoreError::WrongKind { .. })));
    let mut desk = Store::in_memory(StoreKind::Desk).unwrap();
    let result = DrillResult {
        drill: "d01".into(),
        trainee: "学员".into(),
        finished_at: at("2026-11-30 09:00"),
        score: 100,
        seconds: 60,
        keystrokes: 20,
        missed: vec![],
    };
    assert!(desk.record_drill(&result).is_err(), "drill scores never go into a desk database");
}

#[test]
fn a_result_the_case_state_machine_refuses_never_reaches_handover() {
    use crate::intake::rules::RejectReason;
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let finished = |store: &mut Store, decision: Decision| {
        let id = store.create_case(at("2026-11-30 09:00")).unwrap();
        store
            .append(
                &id,
                CaseEvent::ItemChosen { code: "x".into(), kb_version: "1".into() },
                at("2026-11-30 09:01"),
            )
            .unwrap();
        let number = store.finish(&id, "HRB", "W1", decision, at("2026-11-30 09:10")).unwrap().number.clone();
        (id, number.unwrap())
    };
    let listed = |store: &mut Store| -> Vec<String> {
        store.ready_for_handover().unwrap().into_iter().map(|r| r.number).collect()
    };
    // 准予 on a case the window refused, or gave a 一次性告知: never listed.
    let refused =
        Decision::Reject { reason: RejectReason::NotEligible { reason: "不符合".into() }, basis: vec![] };
    let (_, refused) = finished(&mut store, refused);
    store.record_decision(&refused, "准予", "{}", at("2026-12-01 09:00")).unwrap();
    let notice = Decision::NoticeOfDeficiency { deficiencies: vec![], lenient_possible: false };
    let (_, notice) = finished(&mut store, notice);
    store.record_decision(&notice, "准予", "{}", at("2026-12-01 09:00")).unwrap();
    assert!(listed(&mut store).is_empty());
    // 准予 straight after 退回补正 with no correction recorded: not listed until the correction is.
    let (id, number) = finished(&mut store, accept());
    store.record_decision(&number, "退回补正", "{}", at("2026-12-01 09:00")).unwrap();
    let asked = CaseEvent::CorrectionRequested {
        materials: vec!["章程".into()],
        note: String::new(),
        at: at("2026-12-01 09:00"),
    };
    store.append(&id, asked, at("2026-12-01 09:00")).unwrap();
    store.record_decision(&number, "准予", "{}", at("2026-12-01 10:00")).unwrap();
    assert!(listed(&mut store).is_empty());
    store.append(&id, CaseEvent::Corrected { at: at("2026-12-02 09:00") }, at("2026-12-02 09:00")).unwrap();
    assert_eq!(listed(&mut store), [number]);
}

#[cfg(unix)]
#[test]
fn the_desk_store_file_is_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    drop(Store::open(&path, StoreKind::Desk).unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // A store created readable by everyone before this check is tightened when opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path, StoreKind::Desk).unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn numbers_are_journaled_in_their_stored_form_and_found_as_typed() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let id = store.create_case(at("2026-11-30 09:00")).unwrap();
    for (field, value) in [
        (Field::IdNumber, "11010519491231002x\n"),
        (Field::Phone, "+86 139 1234 5678"),
        (Field::CreditCode, "９１３５０１００m000100y43"),
        (Field::ApplicantName, " 张三 "),
    ] {
        store
            .append(&id, CaseEvent::FieldSet { field, value: value.into() }, at("2026-11-30 09:01"))
            .unwrap();
    }
    let journal: Vec<String> =
        store.events(&id).unwrap().into_iter().map(|(_, _, e)| serde_json::to_string(&e).unwrap()).collect();
    let journal = journal.join("\n");
    for stored in ["\"11010519491231002X\"", "\"13912345678\"", "\"91350100M000100Y43\"", "\" 张三 \""] {
        assert!(journal.contains(stored), "{stored} not in {journal}");
    }
    for garbled in ["002x", "+86", "m000"] {
        assert!(!journal.contains(garbled), "{garbled} in {journal}");
    }
    store.forget(&id);
    let case = store.load(&id).unwrap();
    assert_eq!(case.field(Field::IdNumber), "11010519491231002X");
    for q in ["11010519491231002x", "110105 1949", "91350100m000100y43"] {
        assert_eq!(store.list(q, &[], 10).unwrap().len(), 1, "{q}");
    }
}

#[test]
fn journals_written_before_normalising_fold_to_the_stored_form() {
    let mut case = Case::default();
    case.apply(&CaseEvent::FieldSet { field: Field::IdNumber, value: "11010519491231002x ".into() });
    assert_eq!(case.field(Field::IdNumber), "11010519491231002X");
}

#[test]
fn the_online_backup_is_a_sound_copy_and_only_the_newest_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let mut store = Store::open(&path, StoreKind::Desk).unwrap();
    let id = store.create_case(at("2026-11-30 09:00")).unwrap();
    store
        .append(
            &id,
            CaseEvent::FieldSet { field: Field::ApplicantName, value: "张三".into() },
            at("2026-11-30 09:01"),
        )
        .unwrap();
    let backups = dir.path().join("backups");
    let mut made = Vec::new();
    for minute in 0..(doctor::BACKUPS_KEPT as u32 + 3) {
        let when = at("2026-11-30 10:00") + chrono::Duration::minutes(i64::from(minute));
        made.push(backup_to(&path, &backups, when).unwrap());
    }
    let mut files: Vec<_> = std::fs::read_dir(&backups).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), doctor::BACKUPS_KEPT);
    assert_eq!(files.last(), made.last());
    assert!(check_file(files.last().unwrap()).unwrap().is_empty());
    let mut copy = Store::open(files.last().unwrap(), StoreKind::Desk).unwrap();
    assert_eq!(copy.load(&id).unwrap().field(Field::ApplicantName), "张三");
}

#[test]
fn keystrokes_stay_in_the_journal_and_the_outbox_gets_the_case() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let t = at("2026-11-30 09:00");
    let id = store.create_case(t).unwrap();
    store.append(&id, CaseEvent::StepEntered { step: Step::Applicant }, t).unwrap();
    for n in 1..=18 {
        let value = "11010519491231002X"[..n].to_string();
        store.append(&id, CaseEvent::FieldSet { field: Field::IdNumber, value }, t).unwrap();
    }
    store.append(&id, CaseEvent::StepEntered { step: Step::Delivery }, t).unwrap();
    store.finish(&id, "PF", "W03", accept(), at("2026-11-30 09:10")).unwrap();
    assert_eq!(store.events(&id).unwrap().len(), 23, "the journal keeps every keystroke");
    let bodies: Vec<CaseEvent> =
        store.outbox_pending(100).unwrap().iter().map(|e| serde_json::from_str(&e.body).unwrap()).collect();
    assert_eq!(
        bodies
            .iter()
            .map(|e| serde_json::to_value(e).unwrap()["event"].as_str().unwrap().to_string())
            .collect::<Vec<_>>(),
        ["started", "field_set", "finished", "query_code_issued"]
    );
    assert_eq!(bodies[1], CaseEvent::FieldSet { field: Field::IdNumber, value: "11010519491231002X".into() });
    // The query code leaves the desk as its hash only; the desk's case keeps the code to print it.
    let code = store.load(&id).unwrap().query_code.unwrap();
    let CaseEvent::QueryCodeIssued { code: sent, code_sha256, .. } = &bodies[3] else { panic!() };
    assert_eq!((sent, code_sha256), (&None, &crate::intake::query_code::hash(&code)));
    let raw = store.outbox_pending(100).unwrap()[3].body.clone();
    assert!(!raw.contains(&code) && !raw.contains(&code.replace('-', "")), "{raw}");
}

#[test]
fn a_finished_case_is_numbered_by_the_hall_date() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    // 00:10 in Shanghai on 1 December is 16:10 UTC on 30 November.
    let id = store.create_case(at("2026-12-01 00:05")).unwrap();
    let case = store.finish(&id, "PF", "W03", accept(), at("2026-12-01 00:10")).unwrap();
    assert_eq!(case.number.as_deref(), Some("PF-W03-20261201-0001"));
    assert_eq!(case.finished_at.map(crate::time::to_db).as_deref(), Some("2026-11-30T16:10:00.000Z"));
}

/// What a version-3 desk wrote: naive wall-clock times and one outbox entry per keystroke.
#[test]
fn an_older_store_migrates_its_times_to_utc_and_its_outbox_to_case_level_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let naive = |mut v: serde_json::Value, t: &str| {
        if v.get("at").is_some() {
            v["at"] = t.into();
        }
        v.to_string()
    };
    let mut events = vec![
        (CaseEvent::Started { at: at("2026-12-01 00:10") }, "2026-12-01T00:10:00"),
        (CaseEvent::FieldSet { field: Field::Ticket, value: "A".into() }, ""),
        (CaseEvent::FieldSet { field: Field::Ticket, value: "A0".into() }, ""),
        (CaseEvent::FieldSet { field: Field::Ticket, value: "A05".into() }, ""),
        (CaseEvent::StepEntered { step: Step::Applicant }, ""),
    ];
    for value in ["2", "23", "230"] {
        events.push((CaseEvent::FieldSet { field: Field::IdNumber, value: value.into() }, ""));
    }
    events.push((
        CaseEvent::Finished {
            number: "PF-W03-20261201-0001".into(),
            decision: accept(),
            at: at("2026-12-01 00:20"),
        },
        "2026-12-01T00:20:00",
    ));
    {
        let conn = Connection::open(&path).unwrap();
        for sql in &schema::MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute("INSERT INTO settings(key, value) VALUES ('store_kind', 'desk')", []).unwrap();
        conn.execute(
            "INSERT INTO cases(id, created_at, updated_at, status, number, finished_at)
             VALUES ('c1', '2026-12-01T00:10:00.000', '2026-12-01T00:20:00.000', 'accepted', 'PF-W03-20261201-0001',
                     '2026-12-01T00:20:00.000')",
            [],
        )
        .unwrap();
        for (seq, (event, t)) in events.iter().enumerate() {
            let body = naive(serde_json::to_value(event).unwrap(), t);
            conn.execute(
                "INSERT INTO case_events(case_id, seq, event_id, at, body) VALUES ('c1', ?1, ?2, '2026-12-01T00:20:00.000', ?3)",
                params![seq as i64 + 1, format!("e{}", seq + 1), body],
            )
            .unwrap();
            // The first two were already at HQ.
            let sent = (seq < 2).then_some("2026-12-01T00:21:00.000");
            conn.execute(
                "INSERT INTO outbox(event_id, case_id, body, created_at, sent_at) VALUES (?1, 'c1', ?2, '2026-12-01T00:20:00.000', ?3)",
                params![format!("e{}", seq + 1), body, sent],
            )
            .unwrap();
        }
    }
    let mut store = Store::open(&path, StoreKind::Desk).unwrap();
    // Pending keystrokes collapsed to the last value per field and step, in order, ids kept; what
    // HQ has already is untouched; bodies are as they were (HQ compares their hashes).
    let pending: Vec<String> = store.outbox_pending(100).unwrap().into_iter().map(|e| e.event_id).collect();
    assert_eq!(pending, ["e4", "e8", "e9"]);
    let sent: i64 = store
        .conn
        .query_row("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sent, 2);
    // Naive desk times were the hall's wall clock: now UTC with an offset.
    let row: (String, String) = store
        .conn
        .query_row("SELECT created_at, finished_at FROM cases WHERE id = 'c1'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(row, ("2026-11-30T16:10:00.000Z".to_string(), "2026-11-30T16:20:00.000Z".to_string()));
    let listed = store.list("", &[], 10).unwrap();
    assert_eq!(listed[0].created_at, at("2026-12-01 00:10"));
    // The journal is append-only and keeps its text; it reads as what it was.
    let case = store.load("c1").unwrap();
    assert_eq!(case.started_at, Some(at("2026-12-01 00:10")));
    assert_eq!(case.finished_at.map(crate::time::to_db).as_deref(), Some("2026-11-30T16:20:00.000Z"));
    assert_eq!(case.field(Field::IdNumber), "230");
    assert_eq!(store.events("c1").unwrap()[0].1, at("2026-12-01 00:20"));
}

#[test]
fn every_journal_record_carries_the_clerk_signed_in_when_it_was_written() {
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let at: DateTime<Utc> = "2026-12-03T01:00:00Z".parse().unwrap();
    let before = store.create_case(at).unwrap();
    // Only this test sets the process's clerk; records written before show none.
    super::set_session_clerk(Some("王芳".into()));
    let id = store.create_case(at).unwrap();
    store.append(&id, CaseEvent::FieldSet { field: Field::Ticket, value: "A001".into() }, at).unwrap();
    super::set_session_clerk(None);
    assert_eq!(store.event_clerks(&id).unwrap(), vec![(1, Some("王芳".into())), (2, Some("王芳".into()))]);
    assert_eq!(store.event_clerks(&before).unwrap(), vec![(1, None)]);
}

#[test]
fn a_bundle_finishes_as_one_number_and_an_ordinary_case_per_item() {
    use crate::intake::bundle::SubCase;
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let draft = store.create_case(at("2026-11-30 09:00")).unwrap();
    let items = vec!["00013112700401".to_string(), "SW0003".to_string()];
    let chosen = CaseEvent::BundleChosen {
        bundle: "company_startup".into(),
        items: items.clone(),
        kb_version: "t".into(),
    };
    store.append(&draft, chosen, at("2026-11-30 09:01")).unwrap();
    let sub = |code: &str, waits_for: Vec<String>| SubCase {
        code: code.into(),
        events: vec![
            CaseEvent::ItemChosen { code: code.into(), kb_version: "t".into() },
            CaseEvent::FieldSet { field: Field::ApplicantName, value: "示例公司".into() },
        ],
        decision: accept(),
        waits_for,
        provided: Vec::new(),
    };
    let subs = vec![sub("00013112700401", Vec::new()), sub("SW0003", vec!["00013112700401".into()])];
    let made = store.finish_bundle(&draft, "PF", "W03", "企业开办", subs, at("2026-11-30 09:20")).unwrap();
    let numbers: Vec<&str> = made.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(numbers, ["PF-W03-20261130-0001", "PF-W03-20261130-0002"]);
    // The draft is done with and records the numbers; the desk does not reopen it.
    let split = store.load(&draft).unwrap();
    assert_eq!(split.status, Status::Split);
    assert_eq!(split.sub_cases, numbers);
    assert_eq!(store.open_draft().unwrap(), None);
    // Each sub-case is an ordinary finished case, linked to the bundle's number, in the outbox.
    for (position, (id, number)) in made.iter().enumerate() {
        let case = store.load(id).unwrap();
        assert_eq!(case.number.as_deref(), Some(number.as_str()));
        assert_eq!(case.item_code.as_deref(), Some(items[position].as_str()));
        assert_eq!(case.started_at, Some(at("2026-11-30 09:00")), "the applicant's clock is the intake's");
        let link = case.bundle.expect("bundle link");
        assert_eq!(
            (link.number.as_str(), link.position, link.name.as_str()),
            ("PF-W03-20261130-0001", position as u16, "企业开办")
        );
        assert_eq!(link.items, items);
        assert_eq!(link.numbers, numbers);
        let before: Vec<(&str, &str)> = link.predecessors();
        let expected: Vec<(&str, &str)> =
            if position == 0 { Vec::new() } else { vec![("00013112700401", "PF-W03-20261130-0001")] };
        assert_eq!(before, expected);
    }
    let outbox = store.outbox_pending(100).unwrap();
    assert!(outbox.iter().all(|e| e.case_id != draft), "the intake's own journal stays on the desk");
    assert_eq!(outbox.iter().filter(|e| e.body.contains("\"bundle_member\"")).count(), 2);
    // A case that is not a bundle intake is refused.
    let plain = store.create_case(at("2026-11-30 10:00")).unwrap();
    assert!(
        store.finish_bundle(&plain, "PF", "W03", "企业开办", Vec::new(), at("2026-11-30 10:01")).is_err()
    );
}

#[test]
fn a_bundle_is_handed_over_once_every_accepted_item_has_its_result() {
    use crate::intake::bundle::SubCase;
    let mut store = Store::in_memory(StoreKind::Desk).unwrap();
    let draft = store.create_case(at("2026-11-30 09:00")).unwrap();
    let chosen = CaseEvent::BundleChosen {
        bundle: "company_startup".into(),
        items: vec!["00013112700401".into(), "SW0003".into()],
        kb_version: "t".into(),
    };
    store.append(&draft, chosen, at("2026-11-30 09:01")).unwrap();
    let sub = |code: &str| SubCase {
        code: code.into(),
        events: vec![CaseEvent::ItemChosen { code: code.into(), kb_version: "t".into() }],
        decision: accept(),
        waits_for: Vec::new(),
        provided: Vec::new(),
    };
    let made = store
        .finish_bundle(
            &draft,
            "PF",
            "W03",
            "企业开办",
            vec![sub("00013112700401"), sub("SW0003")],
            at("2026-11-30 09:20"),
        )
        .unwrap();
    let approve = |store: &mut Store, number: &str, t: &str| {
        store.record_decision(number, "准予", r#"{"decision":{"decision":"approve"}}"#, at(t)).unwrap();
    };
    approve(&mut store, &made[0].1, "2026-12-01 10:00");
    assert!(store.ready_for_handover().unwrap().is_empty(), "the tax office has not decided yet");
    approve(&mut store, &made[1].1, "2026-12-01 11:00");
    let rows: Vec<String> = store.ready_for_handover().unwrap().into_iter().map(|r| r.number).collect();
    assert_eq!(rows, [made[0].1.clone(), made[1].1.clone()], "both results, together");
}
