//! Supplements and companies being set up, through a real HQ on loopback: a 拟设立 company reaches
//! the department's queue marked as such; a 退回补正 recorded at the window as a checked supplement
//! (`SupplementReceived`) puts the case back in the queue, its undo takes it out again, and HQ's rules
//! refuse an undo once the back office has decided after the correction.

mod hq_support;

use std::time::Duration;

use hq_support::{Hq, desk, enroll};
use yichuang::intake::approval::ApprovalDecision;
use yichuang::intake::case::{ApplicantKind, CaseEvent, Field, ReceivedMaterial, Status, SupplementKind};
use yichuang::intake::rules::{Decision, MaterialState};
use yichuang::protocol::{ChangeStatus, DecisionRequest};
use yichuang::store::{Store, StoreKind};
use yichuang::sync::{HqClient, sync_once};

fn client(hq: &Hq, token: &str) -> HqClient {
    HqClient::new(&hq.url, token, None, Duration::from_secs(10)).unwrap()
}

fn received(receipt: &str, state: MaterialState) -> CaseEvent {
    CaseEvent::SupplementReceived {
        receipt: receipt.into(),
        kind: SupplementKind::Correction,
        materials: vec![ReceivedMaterial {
            id: "articles".into(),
            name: "公司章程".into(),
            state: state.clone(),
        }],
        complete: state == MaterialState::Ok,
        at: yichuang::time::now(),
    }
}

#[test]
fn a_proposed_company_is_queued_as_such_and_a_checked_correction_goes_back_and_can_be_undone_until_decided() {
    let dir = tempfile::tempdir().unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let clerk = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let approver = enroll(&hq_db, &["--center", "HRB", "--department", "市场监管", "--role", "approver"]);
    let hq = Hq::start(&hq_db, "127.0.0.1:0");
    let db = desk(&dir.path().join("W1"), "HRB", "W1");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let now = yichuang::time::now();
    // A company still to be registered applies by its reserved name, with no credit code.
    let id = uuid::Uuid::new_v4().to_string();
    store.create_case_with_id(&id, now).unwrap();
    for event in [
        CaseEvent::ItemChosen { code: hq_support::ITEM.into(), kb_version: "2026.11.1".into() },
        CaseEvent::ApplicantKindSet { kind: ApplicantKind::ProposedOrganisation },
        CaseEvent::FieldSet {
            field: Field::ApplicantName, value: "哈尔滨冰城示例科技有限公司".into()
        },
        CaseEvent::FieldSet { field: Field::LegalRepresentative, value: "王五".into() },
    ] {
        store.append(&id, event, now).unwrap();
    }
    let decision = Decision::Accept {
        promised_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        commitments: Vec::new(),
    };
    let number = store.finish(&id, "HRB", "W1", decision, now).unwrap().number.clone().unwrap();
    let (clerk, approver) = (client(&hq, &clerk), client(&hq, &approver));
    sync_once(&mut store, &clerk, 100).unwrap();
    let queue = approver.queue().unwrap();
    let row = queue.iter().find(|q| q.case_id == id).expect("queued");
    assert_eq!(row.applicant, "哈尔滨冰城示例科技有限公司（拟设立）");

    let queued = |c: &HqClient| c.queue().unwrap().iter().any(|q| q.case_id == id);
    let decide = |n: &str, decision| DecisionRequest { id: n.into(), case_id: id.clone(), decision };
    let back = ApprovalDecision::RequestCorrection {
        materials: vec!["公司章程".into()],
        note: "全体股东签字".into(),
    };
    assert_eq!(approver.decide(&decide("d1", back)).unwrap().status, ChangeStatus::Applied);
    sync_once(&mut store, &clerk, 100).unwrap();
    store.forget(&id);
    assert_eq!(store.load(&id).unwrap().status, Status::CorrectionRequested);

    // Brought with a defect: received (B1), not complete — HQ keeps it out of the queue.
    let defect = MaterialState::Defect { text: "股东未签字".into() };
    store.append(&id, received(&format!("{number}-B1"), defect), now).unwrap();
    sync_once(&mut store, &clerk, 100).unwrap();
    assert!(!queued(&approver), "an incomplete correction does not go back");
    assert_eq!(
        approver.decide(&decide("d2", ApprovalDecision::Approve)).unwrap().status,
        ChangeStatus::Conflict,
        "no 准予 before the correction is complete"
    );
    // Complete (B2): back in the queue. Undone before the clerk left: out again.
    store.append(&id, received(&format!("{number}-B2"), MaterialState::Ok), now).unwrap();
    assert_eq!(store.load(&id).unwrap().status, Status::Accepted);
    sync_once(&mut store, &clerk, 100).unwrap();
    assert!(queued(&approver), "the complete correction goes back to the department");
    let undo = |r: &str| CaseEvent::SupplementUndone { receipt: r.into(), reopens: true, at: now };
    store.append(&id, undo(&format!("{number}-B2")), now).unwrap();
    let report = sync_once(&mut store, &clerk, 100).unwrap();
    assert_eq!((report.applied, report.conflict), (1, 0));
    assert!(!queued(&approver), "undone: out of the queue again");
    // Recorded again (B3) and approved: an undo now is refused, the decision stands.
    store.append(&id, received(&format!("{number}-B3"), MaterialState::Ok), now).unwrap();
    sync_once(&mut store, &clerk, 100).unwrap();
    assert_eq!(
        approver.decide(&decide("d3", ApprovalDecision::Approve)).unwrap().status,
        ChangeStatus::Applied
    );
    store.append(&id, undo(&format!("{number}-B3")), now).unwrap();
    let report = sync_once(&mut store, &clerk, 100).unwrap();
    assert_eq!(report.conflict, 1, "HQ refuses to reopen a correction decided after");
    assert_eq!(
        approver.decide(&decide("d4", ApprovalDecision::Approve)).unwrap().status,
        ChangeStatus::Conflict,
        "the 准予 stands"
    );
}
