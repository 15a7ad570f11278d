-- The run lease names the process holding it: host, boot, process namespace and process id. A
-- run on the same host and boot that finds that process gone takes the lease over at once
-- instead of waiting for it to expire.
alter table run_lease add column holder_host text not null default '';
alter table run_lease add column holder_boot_id text not null default '';
alter table run_lease add column holder_pid_namespace text not null default '';
alter table run_lease add column holder_pid bigint not null default 0;
