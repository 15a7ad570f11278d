-- Every change to one shift, oldest first.
select version, action, actor, source, source_file, detail, changed_at, before_hash, after_hash,
       before_content, after_content
from shift_audit
where shift_id = $1
order by version, shift_audit_id
