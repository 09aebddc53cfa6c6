use proptest::prelude::*;

use super::*;

fn change(id: &str, body: serde_json::Value) -> Change {
    Change { id: id.into(), case_id: "case-1".into(), seq: 1, kind: ChangeKind::CaseEvent, body, clerk: None }
}

#[test]
fn a_push_round_trips_and_is_checked() {
    let req = PushRequest { changes: vec![change("a-1", serde_json::json!({"event": "started"}))] };
    let bytes = serde_json::to_vec(&req).unwrap();
    assert_eq!(decode_push(&bytes).unwrap(), req);
    assert!(decode_push(br#"{"changes": []}"#).unwrap_err().0.contains("不能为空"));
    let bad_id = r#"{"changes":[{"id":"a b","case_id":"c","seq":1,"kind":"case_event","body":{}}]}"#;
    assert!(decode_push(bad_id.as_bytes()).unwrap_err().0.contains("changes[0].id"));
    let extra = r#"{"changes":[{"id":"a","case_id":"c","seq":1,"kind":"case_event","body":{},"x":1}]}"#;
    assert!(decode_push(extra.as_bytes()).is_err());
    let not_object = r#"{"changes":[{"id":"a","case_id":"c","seq":1,"kind":"case_event","body":[]}]}"#;
    assert!(decode_push(not_object.as_bytes()).unwrap_err().0.contains("body"));
}

#[test]
fn content_hash_ignores_key_order_and_seq_but_not_content() {
    let a = change("x", serde_json::from_str(r#"{"a":1,"b":2}"#).unwrap());
    let mut b = change("x", serde_json::from_str(r#"{"b":2,"a":1}"#).unwrap());
    b.seq = 99;
    assert_eq!(a.content_hash(), b.content_hash());
    let c = change("x", serde_json::json!({"a": 1, "b": 3}));
    assert_ne!(a.content_hash(), c.content_hash());
}

#[test]
fn kb_hash_does_not_depend_on_file_order() {
    let f = |p: &str, t: &str| KbFileBody { path: p.into(), text: t.into() };
    let one = KbPackage::content_hash(&[f("a", "1"), f("b", "2")]);
    assert_eq!(one, KbPackage::content_hash(&[f("b", "2"), f("a", "1")]));
    assert_ne!(one, KbPackage::content_hash(&[f("a", "1"), f("b", "3")]));
    // The separator keeps path/text boundaries apart.
    assert_ne!(KbPackage::content_hash(&[f("ab", "")]), KbPackage::content_hash(&[f("a", "b")]));
}

#[test]
fn roles_parse_their_names() {
    for r in [Role::Clerk, Role::Approver, Role::Supervisor, Role::KbAdmin] {
        assert_eq!(Role::parse(r.as_str()), Some(r));
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
    }
    assert_eq!(Role::parse("root"), None);
}

proptest! {
    #[test]
    fn the_push_decoder_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_push(&bytes);
    }

    #[test]
    fn the_push_decoder_never_panics_on_near_valid_json(
        id in ".{0,80}", case_id in "[a-z0-9-]{0,70}", seq in any::<i64>(), cut in 0usize..200,
    ) {
        let json = serde_json::json!({"changes": [{"id": id, "case_id": case_id, "seq": seq,
            "kind": "case_event", "body": {"event": "started"}}]}).to_string();
        let cut = cut.min(json.len());
        let _ = decode_push(&json.as_bytes()[..cut]);
        if let Ok(req) = decode_push(json.as_bytes()) {
            prop_assert!(req.changes.iter().all(|c| valid_id(&c.id) && valid_id(&c.case_id) && c.seq >= 0));
        }
    }
}
