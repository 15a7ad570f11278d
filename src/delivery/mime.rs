//! The MIME shape of an outbox message: its plain text alone; with an HTML alternative, a
//! `multipart/alternative`; with attachments, a `multipart/mixed` holding the text (or the
//! alternative) and then each file, base64-encoded. Attachment names are made safe, and the
//! boundaries are derived from the content, so a message builds to the same bytes every time.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use crate::store::runs::{MessageId, OutboxAttachment, OutboxParts};

/// Longest attachment name kept whole, in bytes.
const MAX_NAME_BYTES: usize = 160;
/// Longest extension kept when a long name is shortened, in bytes.
const MAX_EXTENSION_BYTES: usize = 16;
/// The name given to an attachment whose name has nothing left once made safe.
const FALLBACK_NAME: &str = "attachment";

/// Whether a character may not appear in an attachment's name: path separators, control
/// characters, the line and paragraph separators, bidirectional overrides and isolates, and
/// invisible joiners and marks.
fn is_unsafe_in_name(c: char) -> bool {
    matches!(c, '/' | '\\') || crate::domain::text::is_hidden(c)
}

/// An attachment name as it is sent: every unsafe character (see `is_unsafe_in_name`) becomes
/// `_`, surrounding spaces and leading dots go (no hidden files, no `..`), a name longer than
/// 160 bytes is shortened keeping its extension, and an empty name becomes `attachment`.
pub fn safe_file_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| if is_unsafe_in_name(c) { '_' } else { c })
        .collect();
    let trimmed = replaced.trim().trim_start_matches('.').trim_start();
    if trimmed.is_empty() {
        return FALLBACK_NAME.to_owned();
    }
    if trimmed.len() <= MAX_NAME_BYTES {
        return trimmed.to_owned();
    }
    let extension = trimmed
        .rfind('.')
        .map(|dot| &trimmed[dot..])
        .filter(|e| e.len() <= MAX_EXTENSION_BYTES)
        .unwrap_or("");
    let mut end = MAX_NAME_BYTES - extension.len();
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{extension}", trimmed[..end].trim_end())
}

/// An attachment's MIME type, or why it cannot be used.
pub fn attachment_type(content_type: &str) -> Result<ContentType, String> {
    match ContentType::parse(content_type) {
        Err(e) => Err(format!("{content_type:?} is not a MIME type ({e})")),
        Ok(_)
            if content_type
                .trim()
                .to_ascii_lowercase()
                .starts_with("multipart/") =>
        {
            Err(format!(
                "{content_type:?} cannot be attached: a multipart type needs its own parts"
            ))
        }
        Ok(parsed) => Ok(parsed),
    }
}

/// How a message's body is built.
pub enum Shape {
    /// The plain text alone, as every message without parts has always been sent.
    Text,
    Multipart(MultiPart),
}

/// The body of `text` with `parts`; an attachment whose type is unusable is refused with the
/// reason, naming the attachment.
pub fn shape(id: &MessageId, text: &str, parts: &OutboxParts) -> Result<Shape, String> {
    if parts.is_empty() {
        return Ok(Shape::Text);
    }
    let digest = content_digest(id, text, parts);
    let plain = SinglePart::plain(text.to_owned());
    let content = parts.html.as_ref().map(|html| {
        MultiPart::alternative()
            .boundary(format!("tms-alternative-{digest}"))
            .singlepart(plain.clone())
            .singlepart(SinglePart::html(html.clone()))
    });
    let mixed = MultiPart::mixed().boundary(format!("tms-mixed-{digest}"));
    let mut mixed = match content {
        Some(alternative) if parts.attachments.is_empty() => {
            return Ok(Shape::Multipart(alternative));
        }
        Some(alternative) => mixed.multipart(alternative),
        None => mixed.singlepart(plain),
    };
    for (number, attachment) in (1..).zip(&parts.attachments) {
        mixed = mixed.singlepart(attachment_part(number, attachment)?);
    }
    Ok(Shape::Multipart(mixed))
}

/// One attachment as a part: `Content-Disposition: attachment` with its safe name, its own type,
/// and its bytes in base64 whatever they hold, so they arrive exactly as they were.
fn attachment_part(number: usize, attachment: &OutboxAttachment) -> Result<SinglePart, String> {
    let name = safe_file_name(&attachment.file_name);
    let content_type = attachment_type(&attachment.content_type)
        .map_err(|problem| format!("attachment {number} ({name}): content type {problem}"))?;
    let body = Body::new_with_encoding(attachment.content.clone(), ContentTransferEncoding::Base64)
        .map_err(|_| format!("attachment {number} ({name}): cannot be encoded"))?;
    Ok(Attachment::new(name).body(body, content_type))
}

/// A digest of everything the message carries. Boundaries made from it are the same for the
/// same message and cannot occur in its content, which would have to contain its own digest.
fn content_digest(id: &MessageId, text: &str, parts: &OutboxParts) -> String {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    };
    field(id.as_str().as_bytes());
    field(text.as_bytes());
    field(parts.html.as_deref().unwrap_or("").as_bytes());
    for attachment in &parts.attachments {
        field(attachment.file_name.as_bytes());
        field(attachment.content_type.as_bytes());
        field(&attachment.content);
    }
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_lose_path_separators_and_hidden_characters() {
        assert_eq!(safe_file_name("invoice-2026-10.pdf"), "invoice-2026-10.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("..\\boot.ini"), "_boot.ini");
        assert_eq!(
            safe_file_name("statement\r\nBcc: x@example.org.pdf"),
            "statement__Bcc: x@example.org.pdf"
        );
        assert_eq!(safe_file_name("evil\u{202e}fdp.exe"), "evil_fdp.exe");
        assert_eq!(safe_file_name(" .hidden.csv "), "hidden.csv");
        assert_eq!(safe_file_name(".."), FALLBACK_NAME);
        assert_eq!(safe_file_name(""), FALLBACK_NAME);
        assert_eq!(safe_file_name("Dépenses été.csv"), "Dépenses été.csv");
    }

    #[test]
    fn a_long_name_is_shortened_keeping_its_extension() {
        let long = format!("{}.pdf", "é".repeat(200));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_NAME_BYTES, "{} bytes", safe.len());
        assert!(safe.ends_with(".pdf") && safe.starts_with("éé"), "{safe}");
    }

    #[test]
    fn unusable_content_types_are_named() {
        assert!(attachment_type("application/pdf").is_ok());
        assert!(attachment_type("text/csv; charset=utf-8").is_ok());
        let problem = attachment_type("pdf").expect_err("refused");
        assert!(problem.contains("\"pdf\" is not a MIME type"), "{problem}");
        assert!(attachment_type("multipart/mixed").is_err());
    }

    #[test]
    fn boundaries_follow_the_content() {
        let id = MessageId::from("statement.P0001@tms.example");
        let parts = |bytes: &[u8]| OutboxParts {
            html: None,
            attachments: vec![OutboxAttachment {
                file_name: "s.csv".into(),
                content_type: "text/csv".into(),
                content: bytes.to_vec(),
            }],
        };
        let a = content_digest(&id, "text", &parts(b"1"));
        assert_eq!(a, content_digest(&id, "text", &parts(b"1")));
        assert_ne!(a, content_digest(&id, "text", &parts(b"2")));
        assert_ne!(a, content_digest(&id, "text1", &parts(b"")));
    }
}
