select c.shift_id, c.person_id, c.worker_id, c.shift_ref, c.content_hash, c.first_date,
       c.amount_pence, coalesce(s.status, '') as status
from closed_period_shift c
left join shift s on s.shift_id = c.shift_id
where c.period = $1
order by c.shift_id, c.person_id
