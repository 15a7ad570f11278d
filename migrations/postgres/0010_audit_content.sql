-- Audit you can read. A shift's audit row keeps the shift as it stood before the change and as
-- it stands after: its status and segments (times, service, people, miles, notes) as compact
-- JSON, written by every path that changes a shift. Rows written before this version keep their
-- digests only, and their content stays empty. A reference change records who made it.
alter table shift_audit add column before_content text;
alter table shift_audit add column after_content text;
alter table reference_audit add column actor text not null default '';

-- One record's changes, oldest first (`tms audit reference`, `/api/v1/audit/reference/...`).
create index reference_audit_record on reference_audit (kind, record_key, reference_audit_id);
