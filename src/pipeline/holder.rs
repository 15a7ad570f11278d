//! This process as the holder of a lease, and whether a lease's holder is a process on this
//! machine that has died: the same host, boot and process namespace, and no live process with
//! its id. Such a lease is taken over at once rather than left to expire.

use std::path::Path;

use crate::store::runs::HolderProcess;

/// The host name, from `/etc/hostname` (`localhost` when there is none).
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// This process, as a lease records it. Where `/proc` cannot say (another system), the boot id
/// and namespace are empty and no other process ever takes this one's lease before it expires.
pub fn this_process() -> HolderProcess {
    HolderProcess {
        host: host_name(),
        boot_id: std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|id| id.trim().to_owned())
            .unwrap_or_default(),
        pid_namespace: std::fs::read_link("/proc/self/ns/pid")
            .map(|ns| ns.display().to_string())
            .unwrap_or_default(),
        pid: i64::from(std::process::id()),
    }
}

/// Whether `holder` is a process of this machine, boot and namespace that no longer runs. Any
/// doubt — another host, another boot, no `/proc`, this very process, a process id in use —
/// answers no, and the lease is left to expire.
pub fn is_dead_here(holder: &HolderProcess) -> bool {
    let me = this_process();
    !me.boot_id.is_empty()
        && !me.pid_namespace.is_empty()
        && holder.pid > 0
        && holder.pid != me.pid
        && holder.host == me.host
        && holder.boot_id == me.boot_id
        && holder.pid_namespace == me.pid_namespace
        && !is_running(holder.pid)
}

/// Whether a process with this id runs (a zombie, killed and not yet reaped, does not).
fn is_running(pid: i64) -> bool {
    match std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) {
        // The state follows the command name, which is in parentheses and may hold anything.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| !matches!(state, "Z" | "X" | "x")),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_never_taken_for_dead() {
        let me = this_process();
        assert!(is_running(me.pid));
        assert!(!is_dead_here(&me));
    }

    #[test]
    fn a_killed_process_is_dead_here_but_not_elsewhere() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("start sleep");
        let pid = i64::from(child.id());
        let holder = HolderProcess {
            pid,
            ..this_process()
        };
        assert!(!is_dead_here(&holder), "a live process holds its lease");
        child.kill().expect("kill");
        // Killed and not yet reaped, it is a zombie: dead all the same.
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(is_dead_here(&holder), "a zombie is dead");
        child.wait().expect("reap");
        assert!(is_dead_here(&holder));
        for elsewhere in [
            HolderProcess {
                host: format!("{}-other", holder.host),
                ..holder.clone()
            },
            HolderProcess {
                boot_id: "another-boot".into(),
                ..holder.clone()
            },
            HolderProcess {
                pid_namespace: "pid:[1]".into(),
                ..holder.clone()
            },
            HolderProcess {
                boot_id: String::new(),
                ..holder
            },
        ] {
            assert!(!is_dead_here(&elsewhere), "{elsewhere:?}");
        }
    }
}
