-- Allocated time (ticks) and pay per person, and unallocated work per cost centre (K2).
select coalesce(a.person_id, 'UNALLOCATED:' || a.cost_centre_id) as person_id,
       cast(sum(a.allocated_ticks) as bigint) as ticks,
       cast(sum(a.pay_pence) as bigint) as pay_pence
from allocation a
join shift s on s.shift_id = a.shift_id
where s.status = 'approved'
  and a.local_date >= $1 and a.local_date <= $2
group by coalesce(a.person_id, 'UNALLOCATED:' || a.cost_centre_id)
