//! Issue 16, finding 6: the audit trail must survive somebody with write
//! access to the store. One tamper test per way of tampering, on both
//! backends: each edits the database behind the store's back (triggers
//! disabled, as an insider would) and `verify_evidence` must name it.

use super::*;
use crate::audit::{FindingKind, Report, SigningKey, Trust};

backend_suite!(
    evidence_of_an_honest_lifecycle_verifies,
    evidence_rewritten_chain_is_reported,
    evidence_deleted_last_entries_are_reported,
    evidence_rows_with_seq_not_positive_are_reported_and_listed,
    evidence_changed_body_and_delivery_are_reported,
    evidence_forged_and_missing_checkpoints_are_reported,
);

/// Lets the test write where the triggers refuse it.
async fn disable_triggers(f: &Fixture) {
    let statements: &[&'static str] = match f.backing {
        Backing::Postgres(_) => &[
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER",
        ],
        Backing::Sqlite { .. } => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
            "DROP TRIGGER audit_checkpoints_no_update",
            "DROP TRIGGER audit_checkpoints_no_delete",
        ],
    };
    raw(f, statements).await.expect("disable the triggers");
}

/// A statement built at run time, for [`raw`].
fn statement(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn trust(f: &Fixture, key: &SigningKey) -> Trust {
    Trust {
        keys: vec![key.public()],
        now: f.now(),
        grace: 60_000,
    }
}

async fn evidence_report(f: &Fixture, key: &SigningKey) -> Report {
    audit::verify_evidence(f.store.as_ref(), &trust(f, key))
        .await
        .expect("read the store")
}

fn kinds(report: &Report) -> Vec<FindingKind> {
    report.findings.iter().map(|f| f.kind).collect()
}

async fn sign(f: &Fixture, key: &SigningKey) {
    audit::checkpoint_now(f.store.as_ref(), key, f.now(), false)
        .await
        .expect("checkpoint")
        .expect("a new head to sign");
}

/// Three records accepted, one delivered, one dead, one queued; signed.
async fn lifecycle(f: &Fixture, key: &SigningKey) -> [Message; 3] {
    let store = &f.store;
    let messages = [record("R-E-1", 1), record("R-E-2", 1), record("R-E-3", 1)];
    accept_all(store, &[&messages[0], &messages[1], &messages[2]]).await;
    let claimed = claim(store, "w", 2).await;
    assert_eq!(claimed.len(), 2);
    deliver(store, "w", &claimed[0]).await;
    assert!(store
        .mark_failed(claimed[1].delivery.id, "w", "500", NextStep::Dead)
        .await
        .expect("dead"));
    sign(f, key).await;
    messages
}

async fn evidence_of_an_honest_lifecycle_verifies(f: &Fixture) {
    let key = SigningKey::generate().expect("key");
    let messages = lifecycle(f, &key).await;
    let report = evidence_report(f, &key).await;
    assert!(report.ok(), "{:?}", report.findings);
    assert_eq!((report.bodies_checked, report.deliveries_checked), (3, 3));
    assert_eq!(report.checkpoints_signed, 1);
    assert_eq!(report.unsigned_entries, 0);

    // Operators' actions move deliveries on: replay, retry of the dead, a
    // failure that will be retried. Still intact.
    f.store
        .replay(id_of(&messages[0]), "operator")
        .await
        .expect("replay");
    f.store.retry_dead(None, "operator").await.expect("retry");
    let claimed = claim(&f.store, "w", 3).await;
    for c in &claimed {
        f.store
            .mark_failed(
                c.delivery.id,
                "w",
                "503",
                NextStep::RetryAfter(Duration::from_secs(1)),
            )
            .await
            .expect("failed");
    }
    let later = evidence_report(f, &key).await;
    assert!(later.ok(), "{:?}", later.findings);
    assert!(later.unsigned_entries > 0, "entries after the checkpoint");

    // Long after the last checkpoint with entries it does not cover: due.
    f.clock.advance(Duration::from_secs(600));
    let stale = evidence_report(f, &key).await;
    assert_eq!(
        kinds(&stale),
        [FindingKind::Unsigned],
        "{:?}",
        stale.findings
    );
    sign(f, &key).await;
    assert!(evidence_report(f, &key).await.ok());
}

async fn evidence_rewritten_chain_is_reported(f: &Fixture) {
    let key = SigningKey::generate().expect("key");
    lifecycle(f, &key).await;
    disable_triggers(f).await;

    // The insider edits entry 2 and recomputes the chain from there with the
    // documented algorithm: the chain alone verifies again.
    let mut entries = audit::tail(f.store.as_ref(), 100).await.expect("entries");
    let edited = r#"{"edited":true}"#;
    let mut prev = entries[0].hash.clone();
    for entry in entries.iter_mut().skip(1) {
        if entry.seq == 2 {
            entry.details = edited.to_string();
        }
        entry.prev_hash = prev;
        entry.hash = entry.computed_hash();
        prev = entry.hash.clone();
        raw(
            f,
            &[statement(format!(
                "UPDATE audit_log SET details = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                entry.details.replace('\'', "''"),
                entry.prev_hash,
                entry.hash,
                entry.seq
            ))],
        )
        .await
        .expect("rewrite");
    }
    assert!(
        verified(&f.store).await.is_ok(),
        "the chain alone cannot tell"
    );

    let report = evidence_report(f, &key).await;
    assert_eq!(
        kinds(&report),
        [FindingKind::CheckpointMismatch],
        "{:?}",
        report.findings
    );
    assert_eq!(report.findings[0].seq, entries.last().map(|e| e.seq));
}

async fn evidence_deleted_last_entries_are_reported(f: &Fixture) {
    let key = SigningKey::generate().expect("key");
    lifecycle(f, &key).await;
    let head = f.store.audit_head().await.expect("head").expect("entries");
    disable_triggers(f).await;
    raw(
        f,
        &[statement(format!(
            "DELETE FROM audit_log WHERE seq > {}",
            head.0 - 2
        ))],
    )
    .await
    .expect("delete");
    assert!(
        verified(&f.store).await.is_ok(),
        "the chain alone cannot tell"
    );

    let report = evidence_report(f, &key).await;
    assert!(
        kinds(&report).contains(&FindingKind::EntriesMissing),
        "{:?}",
        report.findings
    );
    let missing = report
        .findings
        .iter()
        .find(|x| x.kind == FindingKind::EntriesMissing)
        .expect("missing");
    assert_eq!(missing.seq, Some(head.0));
    assert!(
        missing
            .message
            .contains(&format!("entries {}..{}", head.0 - 1, head.0)),
        "{}",
        missing.message
    );
}

async fn evidence_rows_with_seq_not_positive_are_reported_and_listed(f: &Fixture) {
    let key = SigningKey::generate().expect("key");
    lifecycle(f, &key).await;
    let insert: &'static str =
        "INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) \
         VALUES (0, 1, 'rs', 'accepted', '{}', '', '')";
    let refused = raw(f, &[insert]).await.expect_err("refused by the schema");
    assert!(refused.to_string().contains("audit_log"), "{refused}");
    let unguard: &[&'static str] = match f.backing {
        Backing::Postgres(_) => &["ALTER TABLE audit_log DROP CONSTRAINT audit_log_positive_seq"],
        Backing::Sqlite { .. } => &["DROP TRIGGER audit_log_positive_seq"],
    };
    raw(f, unguard).await.expect("drop the guard");
    raw(
        f,
        &[
            "INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) \
             VALUES (0, 1, 'rs', 'accepted', '{}', '', '')",
            "INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) \
             VALUES (-7, 1, 'rs', 'accepted', '{}', '', '')",
        ],
    )
    .await
    .expect("insert");
    assert!(verified(&f.store).await.is_ok(), "a walk from 1 skips them");

    let report = evidence_report(f, &key).await;
    assert_eq!(
        kinds(&report),
        [FindingKind::SeqNotPositive, FindingKind::SeqNotPositive],
        "{:?}",
        report.findings
    );
    let seqs: Vec<Option<i64>> = report.findings.iter().map(|x| x.seq).collect();
    assert_eq!(seqs, [Some(-7), Some(0)]);
    // The listing shows the rows verify reports.
    let listed = audit::tail(f.store.as_ref(), 1000).await.expect("tail");
    assert!(listed.iter().any(|e| e.seq == -7) && listed.iter().any(|e| e.seq == 0));
}

async fn evidence_changed_body_and_delivery_are_reported(f: &Fixture) {
    let key = SigningKey::generate().expect("key");
    let messages = lifecycle(f, &key).await;
    // Messages and deliveries have no triggers: a serial number changed in
    // the store would reach the hub.
    raw(
        f,
        &[
            "UPDATE messages SET body = replace(body, 'SN-R-E-3', 'SN-EVIL') \
           WHERE body LIKE '%SN-R-E-3%'",
        ],
    )
    .await
    .expect("tamper");
    let report_body = evidence_report(f, &key).await;
    assert!(
        kinds(&report_body).contains(&FindingKind::BodyMismatch),
        "{:?}",
        report_body.findings
    );
    let finding = report_body
        .findings
        .iter()
        .find(|x| x.kind == FindingKind::BodyMismatch)
        .expect("body");
    assert!(finding.message.contains(&id_of(&messages[2]).to_string()));

    // A delivered delivery made to look as if the hub had refused it.
    let delivered = delivery(&f.store, id_of(&messages[0]), HUB).await;
    raw(
        f,
        &[statement(format!(
            "UPDATE deliveries SET receipt_remote_id = 'forged' WHERE id = {}",
            delivered.id
        ))],
    )
    .await
    .expect("tamper");
    let report = evidence_report(f, &key).await;
    assert!(
        kinds(&report).contains(&FindingKind::DeliveryMismatch),
        "{:?}",
        report.findings
    );
}

async fn evidence_forged_and_missing_checkpoints_are_reported(f: &Fixture) {
    let key = SigningKey::generate().expect("key");
    lifecycle(f, &key).await;
    // A checkpoint signed by another key (the insider's) does not count.
    let insider = SigningKey::generate().expect("key");
    let head = f.store.audit_head().await.expect("head").expect("entries");
    f.store
        .add_audit_checkpoint(&audit::Checkpoint::sign(head.0, &head.1, f.now(), &insider))
        .await
        .expect("insert");
    let report_forged = evidence_report(f, &key).await;
    assert_eq!(
        kinds(&report_forged),
        [FindingKind::CheckpointSignature],
        "{:?}",
        report_forged.findings
    );

    // Every checkpoint deleted: nothing signed covers the entries.
    disable_triggers(f).await;
    raw(f, &["DELETE FROM audit_checkpoints"])
        .await
        .expect("delete");
    let report = evidence_report(f, &key).await;
    assert_eq!(
        kinds(&report),
        [FindingKind::Unsigned],
        "{:?}",
        report.findings
    );
}
