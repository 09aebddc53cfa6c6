//! HQ over TLS (rustls): with a certificate from the center's own CA, desks push, pull and hear
//! the live stream over HTTPS; a client that does not trust that CA is refused, never downgraded.

mod hq_support;

use std::time::Duration;

use hq_support::{Hq, desk, enroll, finished_case};
use yichuang::intake::call::CallSnapshot;
use yichuang::intake::case::CaseEvent;
use yichuang::store::{Store, StoreKind};
use yichuang::sync::{HqClient, sync_once};

#[test]
fn desks_sync_and_listen_over_https_with_the_centers_ca() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("certificate");
    let (cert_pem, key_pem) = (dir.path().join("hq.pem"), dir.path().join("hq.key"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.signing_key.serialize_pem()).unwrap();
    let hq_db = dir.path().join("hq.sqlite3");
    let token = enroll(&hq_db, &["--center", "HRB", "--window", "W1", "--role", "clerk"]);
    let (cert_arg, key_arg) = (cert_pem.to_str().unwrap(), key_pem.to_str().unwrap());
    let hq = Hq::start_with(&hq_db, "127.0.0.1:0", &["--tls-cert", cert_arg, "--tls-key", key_arg]);
    assert!(hq.url.starts_with("https://"), "{}", hq.url);

    let db = desk(&dir.path().join("W1"), "HRB", "W1");
    let mut store = Store::open(&db, StoreKind::Desk).unwrap();
    let case_id = finished_case(&mut store, "HRB", "W1", 1);
    let now = yichuang::time::now();
    let snapshot = CallSnapshot {
        item_code: hq_support::ITEM.into(),
        department: "市场监管".into(),
        ..CallSnapshot::default()
    };
    let raised =
        CaseEvent::CallRaised { call_id: "tls-call".into(), question: "?".into(), snapshot, at: now };
    store.append(&case_id, raised, now).unwrap();
    let trusting = HqClient::new(&hq.url, &token, Some(&cert_pem), Duration::from_secs(10)).unwrap();
    let report = sync_once(&mut store, &trusting, 100).unwrap();
    assert!(report.applied >= 4 && report.conflict == 0, "{report:?}");
    // The live stream trusts the same CA: the window hears its call ringing.
    let mut events = 0;
    let _ = trusting.listen(0, Duration::from_secs(2), &|| true, &mut |_| events += 1);
    assert!(events >= 1, "no event over the TLS stream");

    let stranger = HqClient::new(&hq.url, &token, None, Duration::from_secs(10)).unwrap();
    let refused = stranger.handshake().unwrap_err();
    assert!(refused.is_transient() || refused.to_string().contains("证书"), "{refused}");
}
