-- Concurrent writers.
-- 1. reference_version: one row, bumped (and so locked) by every change to reference data in the
--    transaction that makes it. A shift write reads it FOR SHARE inside its own transaction and
--    compares it with the version its costs were computed from: either the reference change
--    committed first (the versions differ and the shift is stored marked for recosting) or the
--    shift write did (and the reference change's marking statement, which runs after the bump,
--    sees the shift).
-- 2. import_file: an import is identified by its kind, content and the scope of whoever imported
--    it ('' for the operator and finance, 'cost-centres:A;B' for a manager's upload), so the same
--    bytes uploaded by a narrower scope are an import of their own and never rewrite another's
--    record.
create table reference_version (
    singleton integer primary key check (singleton = 1),
    version bigint not null
);
insert into reference_version (singleton, version) values (1, 0);

alter table import_file add column scope text not null default '';
alter table import_file drop constraint import_file_kind_sha256_key;
alter table import_file add constraint import_file_kind_sha256_scope_key unique (kind, sha256, scope);
