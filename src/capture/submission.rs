//! Shifts as the HTTP API and the phone page send them: one shift with all its segments, checked
//! by the same code as a CSV row and a CSV shift (docs/rules.md T1–T4, S1–S4). Every problem names
//! the JSON path of the field at fault.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::shifts::{
    Candidate, Directory, SegmentFields, assemble_shift, every_problem, parse_row,
};
use crate::domain::{LocalZone, PersonId};

/// A shift as submitted: `worker_id` may be left out by a worker, who submits their own;
/// `shift_ref` may be left out, and is then derived from the idempotency key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftSubmission {
    #[serde(default)]
    pub worker_id: Option<String>,
    #[serde(default)]
    pub shift_ref: Option<String>,
    pub segments: Vec<SegmentSubmission>,
}

/// One segment: times as in the shift file (local wall-clock time, or with an offset), the
/// service code, the people supported, and optional miles and notes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSubmission {
    pub start: String,
    pub end: String,
    pub service: String,
    #[serde(default)]
    pub people: Vec<String>,
    #[serde(default, deserialize_with = "miles_text")]
    pub miles: String,
    #[serde(default)]
    pub notes: String,
}

/// Miles may come as a JSON number or a string; either way they are checked as the text the
/// shift file would carry, so `2.5` and `"2.5"` are the same. Numbers keep the digits they were
/// sent with (serde_json's `arbitrary_precision`): a number never passes through a float.
fn miles_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::String(text) => Ok(text),
        serde_json::Value::Number(number) => Ok(number.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "miles must be a number or a string, not {other}"
        ))),
    }
}

/// A problem with one field of a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// JSON Pointer to the field, e.g. `/segments/1/start`.
    pub pointer: String,
    /// The shift-file column the field corresponds to.
    pub field: &'static str,
    /// What is wrong, in plain words.
    pub reason: String,
}

/// Most segments checked in one submission before the rest is refused unread.
const SEGMENTS_READ_MAX: usize = 1_000;

/// One segment seen through the shift file's columns.
struct SegmentView<'a> {
    number: u64,
    worker_id: &'a str,
    shift_ref: &'a str,
    segment: &'a SegmentSubmission,
    people: String,
}

impl SegmentFields for SegmentView<'_> {
    fn row_no(&self) -> u64 {
        self.number
    }
    fn get(&self, column: &str) -> &str {
        match column {
            "worker_id" => self.worker_id.trim(),
            "shift_ref" => self.shift_ref.trim(),
            "start" => self.segment.start.trim(),
            "end" => self.segment.end.trim(),
            "service" => self.segment.service.trim(),
            "people" => &self.people,
            "miles" => self.segment.miles.trim(),
            "notes" => self.segment.notes.trim(),
            _ => "",
        }
    }
    fn read_problem(&self) -> Option<&str> {
        None
    }
}

fn pointer_for(field: &'static str, segment: Option<u64>) -> String {
    match (field, segment) {
        ("worker_id" | "shift_ref", _) => format!("/{field}"),
        (_, Some(number)) if number >= 1 => format!("/segments/{}/{field}", number - 1),
        _ => "/segments".to_owned(),
    }
}

/// Checks each element of a segment's `people` on its own: one person id (never a list joined by
/// `;`), not empty, known, and not already in the segment. Problems name the element,
/// `/segments/<i>/people/<j>`.
fn people_problems(
    index: usize,
    people: &[String],
    directory: &impl Directory,
) -> Vec<FieldProblem> {
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for (j, raw) in people.iter().enumerate() {
        let raw = raw.trim();
        let reason = match PersonId::parse(raw) {
            Err(e) => format!("person id '{raw}' {e}"),
            Ok(id) if !directory.has_person(&id) => format!("unknown person '{id}'"),
            Ok(id) if !seen.insert(id.clone()) => format!("person '{id}' is listed twice"),
            Ok(_) => continue,
        };
        problems.push(FieldProblem {
            pointer: format!("/segments/{index}/people/{j}"),
            field: "people",
            reason,
        });
    }
    problems
}

/// The shift reference for a submission that gives none: derived from who sent it and their
/// idempotency key, so a retry names the same shift.
pub fn derived_shift_ref(principal: &str, idempotency_key: &str) -> String {
    let digest = Sha256::digest(format!("{principal}\n{idempotency_key}").as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("api-{hex}")
}

/// Checks a submission for `worker_id` (the submission's own, or the default) and `shift_ref`,
/// returning the shift ready for the overlap decision or every problem found.
pub fn check_submission(
    submission: &ShiftSubmission,
    worker_id: &str,
    shift_ref: &str,
    zone: LocalZone,
    directory: &impl Directory,
) -> Result<Candidate, Vec<FieldProblem>> {
    if submission.segments.is_empty() {
        return Err(vec![FieldProblem {
            pointer: "/segments".to_owned(),
            field: "segments",
            reason: "a shift needs at least one segment".to_owned(),
        }]);
    }
    let views: Vec<SegmentView<'_>> = submission
        .segments
        .iter()
        .take(SEGMENTS_READ_MAX)
        .enumerate()
        .map(|(i, segment)| SegmentView {
            number: i as u64 + 1,
            worker_id,
            shift_ref,
            segment,
            people: segment
                .people
                .iter()
                .map(|p| p.trim())
                .collect::<Vec<_>>()
                .join(";"),
        })
        .collect();
    let rows: Vec<_> = views
        .iter()
        .map(|view| parse_row(view, zone, directory))
        .collect();
    let mut problems: Vec<FieldProblem> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let element_problems =
            people_problems(index, &submission.segments[index].people, directory);
        if row.problem.is_some() {
            // Every field at fault in the segment, not only the first a file row would name.
            for problem in every_problem(&views[index], zone, directory) {
                let pointer = pointer_for(problem.field, Some(row.row_no));
                // A bad element is named by its own pointer below, not again as the whole list.
                let named_below = problem.field == "people" && !element_problems.is_empty();
                if !named_below && !problems.iter().any(|p| p.pointer == pointer) {
                    problems.push(FieldProblem {
                        pointer,
                        field: problem.field,
                        reason: problem.reason,
                    });
                }
            }
        }
        problems.extend(element_problems);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    assemble_shift(rows).map_err(|rejection| {
        // Segments are numbered from 1 in messages, as CSV rows are by row.
        let reason = rejection.reason.replace("segments on rows", "segments");
        vec![FieldProblem {
            pointer: pointer_for(rejection.field, rejection.at_row),
            field: rejection.field,
            reason,
        }]
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::{PersonId, ServiceCode, WorkerId};

    struct Known;
    impl Directory for Known {
        fn has_worker(&self, worker: &WorkerId) -> bool {
            worker.as_str() == "W1"
        }
        fn has_person(&self, person: &PersonId) -> bool {
            ["P1", "P2"].contains(&person.as_str())
        }
        fn has_service(&self, service: &ServiceCode) -> bool {
            service.as_str() == "PC"
        }
    }

    fn segment(start: &str, end: &str, people: &[&str]) -> SegmentSubmission {
        SegmentSubmission {
            start: start.into(),
            end: end.into(),
            service: "PC".into(),
            people: people.iter().map(|p| (*p).to_owned()).collect(),
            ..SegmentSubmission::default()
        }
    }

    fn check(segments: Vec<SegmentSubmission>) -> Result<Candidate, Vec<FieldProblem>> {
        let submission = ShiftSubmission {
            segments,
            ..ShiftSubmission::default()
        };
        check_submission(&submission, "W1", "S1", LocalZone::default(), &Known)
    }

    #[test]
    fn a_shared_shift_is_accepted_with_people_in_byte_order() {
        let candidate = check(vec![
            segment("2026-10-06T09:00", "2026-10-06T10:00", &["P2", "P1"]),
            segment("2026-10-06T10:00", "2026-10-06T11:00", &[]),
        ])
        .unwrap();
        assert_eq!(candidate.draft.segments.len(), 2);
        let people: Vec<&str> = candidate.draft.segments[0]
            .people
            .iter()
            .map(PersonId::as_str)
            .collect();
        assert_eq!(people, ["P1", "P2"]);
    }

    #[test]
    fn every_bad_field_is_named_by_its_path() {
        let mut unknown_service = segment("2026-10-06T12:00", "2026-10-06T13:00", &["P1"]);
        unknown_service.service = "XX".into();
        let problems = check(vec![
            segment("2026-10-06T09:00", "2026-10-06T08:00", &["P1"]),
            segment("2026-10-06T10:00", "2026-10-06T11:00", &["P9"]),
            unknown_service,
        ])
        .unwrap_err();
        let pointers: HashSet<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            HashSet::from([
                "/segments/0/end",
                "/segments/1/people/0",
                "/segments/2/service"
            ])
        );
        assert!(problems[1].reason.contains("unknown person 'P9'"));
    }

    #[test]
    fn every_field_at_fault_in_one_segment_is_named_at_once() {
        let mut everything = segment("2026-10-06T9am", "2026-10-06T10:00", &["P9"]);
        everything.service = "XX".into();
        everything.miles = "-1".into();
        let problems = check(vec![everything]).unwrap_err();
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/segments/0/start",
                "/segments/0/service",
                "/segments/0/miles",
                "/segments/0/people/0"
            ]
        );
        // Times that read but run backwards are named once, at the end, beside the others.
        let mut backwards = segment("2026-10-06T10:00", "2026-10-06T09:00", &[]);
        backwards.service = "".into();
        let pointers: Vec<String> = check(vec![backwards])
            .unwrap_err()
            .into_iter()
            .map(|p| p.pointer)
            .collect();
        assert_eq!(pointers, ["/segments/0/end", "/segments/0/service"]);
    }

    #[test]
    fn each_person_is_one_id_and_bad_ones_are_named_by_their_element() {
        let problems = |people: &[&str]| {
            check(vec![segment(
                "2026-10-06T09:00",
                "2026-10-06T10:00",
                people,
            )])
            .unwrap_err()
            .into_iter()
            .map(|p| (p.pointer, p.reason))
            .collect::<Vec<_>>()
        };
        // Two ids in one element are not split into two people.
        let joined = problems(&["P1;P2"]);
        assert_eq!(joined.len(), 1, "{joined:?}");
        assert_eq!(joined[0].0, "/segments/0/people/0");
        assert!(
            joined[0].1.starts_with("person id 'P1;P2' contains ';'"),
            "{joined:?}"
        );
        // An empty element is not read as "no one".
        assert_eq!(
            problems(&[""]),
            [(
                "/segments/0/people/0".to_owned(),
                "person id '' is empty".to_owned()
            )]
        );
        assert_eq!(
            problems(&["P1", " "]),
            [(
                "/segments/0/people/1".to_owned(),
                "person id '' is empty".to_owned()
            )]
        );
        // A person twice, an unknown person and a bad id: each named where it is.
        assert_eq!(
            problems(&["P2", "P9", "P2", "P\u{0420}"]),
            [
                (
                    "/segments/0/people/1".to_owned(),
                    "unknown person 'P9'".to_owned()
                ),
                (
                    "/segments/0/people/2".to_owned(),
                    "person 'P2' is listed twice".to_owned()
                ),
                (
                    "/segments/0/people/3".to_owned(),
                    "person id 'P\u{0420}' contains '\u{0420}': ids are printable ASCII letters, \
                     digits and punctuation, without spaces or ';'"
                        .to_owned()
                ),
            ]
        );
        // Other problems of the segment are still found.
        let mut late = segment("2026-10-06T09:00", "2026-10-06T08:00", &["P1", "P1"]);
        late.service = "PC".into();
        let both: Vec<String> = check(vec![late])
            .unwrap_err()
            .into_iter()
            .map(|p| p.pointer)
            .collect();
        assert_eq!(both, ["/segments/0/end", "/segments/0/people/1"]);
        // Good people still come out in byte order, once each.
        let candidate = check(vec![segment(
            "2026-10-06T09:00",
            "2026-10-06T10:00",
            &[" P2", "P1"],
        )])
        .unwrap();
        let people: Vec<&str> = candidate.draft.segments[0]
            .people
            .iter()
            .map(PersonId::as_str)
            .collect();
        assert_eq!(people, ["P1", "P2"]);
    }

    #[test]
    fn overlapping_segments_name_the_later_one() {
        let problems = check(vec![
            segment("2026-10-06T09:00", "2026-10-06T10:00", &["P1"]),
            segment("2026-10-06T09:30", "2026-10-06T11:00", &["P1"]),
        ])
        .unwrap_err();
        assert_eq!(problems[0].pointer, "/segments/1/start");
        assert_eq!(problems[0].reason, "segments 1 and 2 overlap");
    }

    #[test]
    fn an_empty_shift_and_an_unknown_worker_are_refused() {
        assert_eq!(check(vec![]).unwrap_err()[0].pointer, "/segments");
        let submission = ShiftSubmission {
            segments: vec![segment("2026-10-06T09:00", "2026-10-06T10:00", &["P1"])],
            ..ShiftSubmission::default()
        };
        let problems =
            check_submission(&submission, "W9", "S1", LocalZone::default(), &Known).unwrap_err();
        assert_eq!(problems[0].pointer, "/worker_id");
        assert_eq!(problems[0].reason, "unknown worker 'W9'");
    }

    #[test]
    fn miles_may_be_a_number_or_text() {
        let a: SegmentSubmission = serde_json::from_str(
            r#"{"start":"2026-10-06T09:00","end":"2026-10-06T10:00","service":"PC","miles":2.5}"#,
        )
        .unwrap();
        let b: SegmentSubmission = serde_json::from_str(
            r#"{"start":"2026-10-06T09:00","end":"2026-10-06T10:00","service":"PC","miles":"2.5"}"#,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            derived_shift_ref("worker:W1", "k"),
            derived_shift_ref("worker:W1", "k")
        );
        assert_ne!(
            derived_shift_ref("worker:W1", "k"),
            derived_shift_ref("worker:W2", "k")
        );
    }
}
