-- Segments of a worker's live shifts, other than the shift being changed ($2), that overlap
-- [$3, $4) (rules.md S2), each with its shift's whole span for messages. A shift spans at most $5
-- seconds, which bounds the index range scan.
select sh.shift_ref, g.start_utc, g.end_utc, sh.first_start_utc, sh.last_end_utc
from shift sh
join segment g on g.shift_id = sh.shift_id
where sh.worker_id = $1
  and sh.shift_ref <> $2
  and sh.first_start_utc >= $3 - $5
  and sh.first_start_utc < $4
  and sh.last_end_utc > $3
  and sh.status in ('submitted', 'approved')
  and g.start_utc < $4
  and g.end_utc > $3
order by g.start_utc
