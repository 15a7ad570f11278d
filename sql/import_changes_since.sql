-- Shifts a CSV file created and amended since its import began, from the audit trail: an import
-- resumed after a crash counts what its interrupted attempt wrote as its own.
select coalesce(sum(case when action = 'create' then 1 else 0 end), 0),
       coalesce(sum(case when action = 'amend' then 1 else 0 end), 0)
from shift_audit
where source = 'csv' and source_file = $1 and changed_at >= $2
