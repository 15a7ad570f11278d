-- The changes to the records of one kind whose key is $2 or starts with $2 and a '|', oldest
-- first.
select record_key, action, actor, source_file, changed_at, before_json, after_json
from reference_audit
where kind = $1
  and (record_key = $2 or substr(record_key, 1, length($2) + 1) = $2 || '|')
order by reference_audit_id
