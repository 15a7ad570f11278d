-- Time that no rate applies to (rules.md C2): reported, never charged at zero.
select a.person_id, a.local_date, a.service_code, a.band, a.ratio,
       cast(sum(a.minutes) as bigint) as minutes, s.worker_id, s.shift_ref
from allocation a
join shift s on s.shift_id = a.shift_id
where s.status = 'approved'
  and a.unpriced = $3
  and a.local_date >= $1 and a.local_date <= $2
group by a.person_id, a.local_date, a.service_code, a.band, a.ratio, s.worker_id, s.shift_ref
