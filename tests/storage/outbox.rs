//! Outbox messages that carry documents: a message is queued with its HTML alternative and its
//! attachments in one transaction (all or nothing), the file transport writes the whole MIME
//! message, and what it writes reads back — structure, names and bytes — with a reader of its
//! own.

use chrono::{DateTime, Utc};
use tms::delivery::email::{EmailError, Transport, attachment, enqueue_in, message_id, send_due};
use tms::store::runs::{OutboxAttachment, OutboxMessage, OutboxParts, OutboxStatus, outbox_parts};

use crate::mime::Part;
use crate::on_both;
use crate::support::TestDb;

const TEXT: &str = "Dear Ms Example,\n\nYour statement for October 2026 is attached: £1,250.00.\n";
const HTML: &str = "<p>Dear Ms Example,</p>\n<p>Your statement for October 2026 is attached: <b>&pound;1,250.00</b>.</p>\n";

fn statement(key: &str) -> OutboxMessage {
    OutboxMessage {
        message_id: message_id("statement", key, "tms.example"),
        kind: "statement".into(),
        recipients: "person@example.org".into(),
        subject: format!("Your statement {key}"),
        body: TEXT.into(),
        created_at: DateTime::parse_from_rfc3339("2026-11-03T09:00:00Z")
            .expect("valid")
            .to_utc(),
        status: OutboxStatus::Pending,
        attempts: 0,
    }
}

/// Every byte value, line endings of both kinds and a NUL among them: what goes in must come
/// out, not a byte changed.
fn document_bytes() -> Vec<u8> {
    let mut bytes: Vec<u8> = b"%PDF-1.7\r\n%\xe2\xe3\xcf\xd3\n".to_vec();
    bytes.extend((0..=255_u8).cycle().take(3000));
    bytes
}

/// A statement as a PDF whose name tries to climb folders and break a header line, and the
/// charges behind it as CSV with bare line feeds.
fn documents() -> Vec<OutboxAttachment> {
    vec![
        attachment(
            "../Statement\r\nBcc: x@example.org 2026-10.pdf",
            "application/pdf",
            document_bytes(),
        ),
        attachment(
            "charges-2026-10.csv",
            "text/csv; charset=utf-8",
            b"person_id,date,pence\nP0001,2026-10-01,1250\n".to_vec(),
        ),
    ]
}

/// The attachment parts of a `multipart/mixed` message: everything after its first part.
fn attached(parts: &[Part]) -> Vec<(String, String, Vec<u8>)> {
    parts[1..]
        .iter()
        .map(|p| {
            (
                p.attachment_name().expect("an attachment has a name"),
                p.mime_type(),
                p.decoded(),
            )
        })
        .collect()
}

async fn queue(db: &TestDb, message: &OutboxMessage, parts: &OutboxParts) -> bool {
    let mut tx = db.store.begin().await.expect("begin");
    let queued = enqueue_in(&mut tx, message, parts).await.expect("enqueue");
    tx.commit().await.expect("commit");
    queued
}

/// Sends everything due as `.eml` files into `folder`; returns how many were sent.
async fn send_to_files(db: &TestDb, folder: &std::path::Path) -> u64 {
    let transport = Transport::File(folder.to_path_buf());
    send_due(&db.store, &transport, &db.settings.email, None, Utc::now)
        .await
        .expect("send")
        .sent
}

async fn a_message_with_html_and_attachments_is_written_whole(db: &TestDb) {
    let message = statement("P0001-2026-10");
    let parts = OutboxParts {
        html: Some(HTML.into()),
        attachments: documents(),
    };
    assert!(queue(db, &message, &parts).await);
    assert_eq!(db.count("outbox_part").await, 3, "the HTML and two files");

    let folder = db.dir().join("outbox");
    assert_eq!(send_to_files(db, &folder).await, 1);
    let eml = std::fs::read(folder.join(format!("{}.eml", message.message_id))).expect("eml");
    let eml = String::from_utf8(eml).expect("a MIME message is ASCII");

    let top = Part::parse(&eml);
    assert_eq!(
        top.header("Message-ID"),
        Some("<statement.P0001-2026-10@tms.example>")
    );
    assert_eq!(top.header("MIME-Version"), Some("1.0"));
    assert_eq!(top.mime_type(), "multipart/mixed");
    let mixed = top.children();
    assert_eq!(
        mixed.len(),
        3,
        "the text and its alternative, then two files"
    );

    assert_eq!(mixed[0].mime_type(), "multipart/alternative");
    let alternative = mixed[0].children();
    assert_eq!(
        alternative.iter().map(Part::mime_type).collect::<Vec<_>>(),
        ["text/plain", "text/html"],
        "the plain text first, the richer HTML last"
    );
    assert_eq!(alternative[0].text(), TEXT.replace('\n', "\r\n"));
    assert_eq!(alternative[1].text(), HTML.replace('\n', "\r\n"));

    let files = attached(&mixed);
    assert_eq!(
        files[0].0, "_Statement__Bcc: x@example.org 2026-10.pdf",
        "no path separator or control character is left in the name"
    );
    assert_eq!(files[0].1, "application/pdf");
    assert_eq!(files[0].2, document_bytes(), "the PDF's bytes, every one");
    assert_eq!(files[1].0, "charges-2026-10.csv");
    assert_eq!(files[1].1, "text/csv");
    assert_eq!(
        files[1].2, b"person_id,date,pence\nP0001,2026-10-01,1250\n",
        "a text file's line endings are kept as they were"
    );
    for part in &mixed[1..] {
        assert_eq!(
            part.header("Content-Transfer-Encoding"),
            Some("base64"),
            "attachments travel as base64"
        );
    }
    assert!(
        !eml.lines().any(|l| l.starts_with("Bcc:")),
        "a file name cannot add a header"
    );

    let sent = format!(
        "outbox where message_id = '{}' and status = 'sent' and attempts = 1",
        message.message_id
    );
    assert_eq!(db.count(&sent).await, 1, "sent once");
    // The stored name is the safe one: what the recipient sees is what the outbox holds.
    let stored = outbox_parts(&db.store, &message.message_id)
        .await
        .expect("parts");
    assert_eq!(
        stored.attachments[0].file_name,
        "_Statement__Bcc: x@example.org 2026-10.pdf"
    );
    assert_eq!(stored.attachments[0].content, document_bytes());
    assert_eq!(stored.html.as_deref(), Some(HTML));
}
on_both!(a_message_with_html_and_attachments_is_written_whole);

async fn without_html_the_text_comes_first_then_the_files(db: &TestDb) {
    let message = statement("P0002-2026-10");
    let parts = OutboxParts {
        html: None,
        attachments: documents()[1..].to_vec(),
    };
    assert!(queue(db, &message, &parts).await);
    let folder = db.dir().join("outbox");
    assert_eq!(send_to_files(db, &folder).await, 1);
    let eml =
        std::fs::read_to_string(folder.join(format!("{}.eml", message.message_id))).expect("eml");
    let top = Part::parse(&eml);
    assert_eq!(top.mime_type(), "multipart/mixed");
    let mixed = top.children();
    assert_eq!(
        mixed.iter().map(Part::mime_type).collect::<Vec<_>>(),
        ["text/plain", "text/csv"]
    );
    assert_eq!(mixed[0].text(), TEXT.replace('\n', "\r\n"));
    assert_eq!(mixed[0].attachment_name(), None);
    assert_eq!(
        attached(&mixed),
        [(
            "charges-2026-10.csv".to_owned(),
            "text/csv".to_owned(),
            b"person_id,date,pence\nP0001,2026-10-01,1250\n".to_vec()
        )]
    );
}
on_both!(without_html_the_text_comes_first_then_the_files);

/// A crash or an error before the transaction commits: neither the message nor any of its
/// parts is left behind.
async fn a_rolled_back_enqueue_leaves_no_message_and_no_parts(db: &TestDb) {
    let message = statement("P0003-2026-10");
    let parts = OutboxParts {
        html: Some(HTML.into()),
        attachments: documents(),
    };
    let mut tx = db.store.begin().await.expect("begin");
    assert!(
        enqueue_in(&mut tx, &message, &parts)
            .await
            .expect("enqueue")
    );
    drop(tx);
    assert_eq!(db.count("outbox").await, 0);
    assert_eq!(db.count("outbox_part").await, 0);

    // Queued again, it is whole.
    assert!(queue(db, &message, &parts).await);
    assert_eq!(db.count("outbox").await, 1);
    assert_eq!(db.count("outbox_part").await, 3);
}
on_both!(a_rolled_back_enqueue_leaves_no_message_and_no_parts);

/// An attachment of no usable type is refused before anything is written, naming the message,
/// the attachment and why; the transaction it was queued in can still commit other work.
async fn a_bad_attachment_queues_nothing_and_says_which(db: &TestDb) {
    let message = statement("P0004-2026-10");
    let mut attachments = documents();
    attachments[1].content_type = "spreadsheet".into();
    let parts = OutboxParts {
        html: Some(HTML.into()),
        attachments,
    };
    let mut tx = db.store.begin().await.expect("begin");
    let error = enqueue_in(&mut tx, &message, &parts)
        .await
        .expect_err("refused");
    tx.commit().await.expect("commit");
    assert!(
        matches!(
            &error,
            EmailError::Attachment {
                number: 2,
                field: "content type",
                ..
            }
        ),
        "{error:?}"
    );
    let shown = error.to_string();
    assert!(
        shown.contains("statement.P0004-2026-10@tms.example")
            && shown.contains("attachment 2 (charges-2026-10.csv)")
            && shown.contains("\"spreadsheet\" is not a MIME type"),
        "{shown}"
    );
    assert_eq!(db.count("outbox").await, 0);
    assert_eq!(db.count("outbox_part").await, 0);
}
on_both!(a_bad_attachment_queues_nothing_and_says_which);

/// The same message id queued again keeps the first message and exactly its parts.
async fn a_message_queued_twice_keeps_its_first_parts(db: &TestDb) {
    let message = statement("P0005-2026-10");
    let first = OutboxParts {
        html: None,
        attachments: documents(),
    };
    assert!(queue(db, &message, &first).await);
    let second = OutboxParts {
        html: Some(HTML.into()),
        attachments: documents()[1..].to_vec(),
    };
    assert!(!queue(db, &message, &second).await);
    assert_eq!(db.count("outbox_part").await, 2);
    let stored = outbox_parts(&db.store, &message.message_id)
        .await
        .expect("parts");
    assert_eq!(stored, first);
}
on_both!(a_message_queued_twice_keeps_its_first_parts);
