-- Changes whenever reference data changes (every change is audited), so a server can tell when
-- to reload it.
select cast(count(*) as bigint) as changes, cast(coalesce(max(reference_audit_id), 0) as bigint) as last_change
from reference_audit
