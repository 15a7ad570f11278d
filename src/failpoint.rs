//! Crash points for recovery tests. With `TMS_FAILPOINTS=name:n[,name:n...]` the process aborts
//! (as if killed with `kill -9`: no clean-up, nothing flushed) the n-th time it reaches `name`;
//! with `TMS_FAILPOINT_TRACE=FILE` it appends every point it reaches to FILE. Unset, a point
//! costs one atomic load.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

struct Points {
    targets: HashMap<String, u64>,
    trace: Option<Mutex<std::fs::File>>,
    reached: Mutex<HashMap<&'static str, u64>>,
}

static POINTS: OnceLock<Option<Points>> = OnceLock::new();

fn points() -> Option<&'static Points> {
    POINTS
        .get_or_init(|| {
            let targets = std::env::var("TMS_FAILPOINTS").ok();
            let trace_path = std::env::var_os("TMS_FAILPOINT_TRACE");
            if targets.is_none() && trace_path.is_none() {
                return None;
            }
            let targets: HashMap<String, u64> = targets
                .unwrap_or_default()
                .split(',')
                .filter_map(|item| {
                    let (name, n) = item.trim().rsplit_once(':')?;
                    Some((name.to_owned(), n.parse().ok()?))
                })
                .collect();
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
}
