//! Crash and pause points for recovery and race tests. With `TMS_FAILPOINTS=name:n[,name:n...]`
//! the process aborts (as if killed with `kill -9`: no clean-up, nothing flushed) the n-th time it
//! reaches `name`; with `TMS_FAILPOINT_TRACE=FILE` it appends every point it reaches to FILE. With
//! `TMS_FAILPOINT_PAUSE=name:n[,...]` and `TMS_FAILPOINT_GATE=DIR` it creates `DIR/name.paused`
//! the n-th time it reaches `name` and waits there until `DIR/name.go` exists, so that a test can
//! run another writer at exactly that moment. Unset, a point costs one atomic load.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

struct Points {
    targets: HashMap<String, u64>,
    pauses: HashMap<String, u64>,
    gate: Option<std::path::PathBuf>,
    trace: Option<Mutex<std::fs::File>>,
    reached: Mutex<HashMap<&'static str, u64>>,
}

static POINTS: OnceLock<Option<Points>> = OnceLock::new();

fn points() -> Option<&'static Points> {
    POINTS
        .get_or_init(|| {
            let targets = std::env::var("TMS_FAILPOINTS").ok();
            let pauses = std::env::var("TMS_FAILPOINT_PAUSE").ok();
            let trace_path = std::env::var_os("TMS_FAILPOINT_TRACE");
            if targets.is_none() && pauses.is_none() && trace_path.is_none() {
                return None;
            }
            let targets = named_counts(targets.as_deref());
            let pauses = named_counts(pauses.as_deref());
            let gate = std::env::var_os("TMS_FAILPOINT_GATE").map(std::path::PathBuf::from);
            let trace = trace_path.and_then(|path| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .ok()
                    .map(Mutex::new)
            });
            Some(Points {
                targets,
                pauses,
                gate,
                trace,
                reached: Mutex::new(HashMap::new()),
            })
        })
        .as_ref()
}

/// Marks a point where a crash must be survivable.
pub fn hit(name: &'static str) {
    let Some(points) = points() else {
        return;
    };
    let count = {
        let mut reached = points
            .reached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = reached.entry(name).or_insert(0);
        *count += 1;
        *count
    };
    if let Some(trace) = &points.trace {
        let mut file = trace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(file, "{name}:{count}");
    }
    if points.targets.get(name) == Some(&count) {
        std::process::abort();
    }
    if let (Some(gate), Some(&n)) = (&points.gate, points.pauses.get(name))
        && n == count
    {
        let _ = std::fs::write(gate.join(format!("{name}.paused")), b"");
        let go = gate.join(format!("{name}.go"));
        while !go.exists() {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Parses `name:n[,name:n...]`.
fn named_counts(list: Option<&str>) -> HashMap<String, u64> {
    list.unwrap_or_default()
        .split(',')
        .filter_map(|item| {
            let (name, n) = item.trim().rsplit_once(':')?;
            Some((name.to_owned(), n.parse().ok()?))
        })
        .collect()
}
