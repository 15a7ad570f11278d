-- Stored live shifts that overlap the segments a batch is about to store (rules.md S2), for the
-- check made inside the batch's own transaction. Each element of the arrays is one segment:
-- $1 the claiming shift's id, $2 its worker, $3 its shift_ref, $4/$5 the segment's start and end.
-- $6 is the longest shift in seconds, which bounds the index range scan; $7 lists the stored
-- shifts the batch itself amends, whose stored segments are being replaced.
with c as (
    select * from unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
        as c(shift_id, worker_id, shift_ref, start_utc, end_utc)
)
select distinct on (c.shift_id) c.shift_id, sh.shift_ref
from c
join shift sh
  on sh.worker_id = c.worker_id
 and sh.first_start_utc >= c.start_utc - $6
 and sh.first_start_utc < c.end_utc
 and sh.last_end_utc > c.start_utc
join segment g
  on g.shift_id = sh.shift_id
 and g.start_utc < c.end_utc
 and g.end_utc > c.start_utc
where sh.shift_ref <> c.shift_ref
  and sh.status in ('submitted', 'approved')
  and not (sh.shift_id = any($7))
order by c.shift_id, sh.shift_ref
