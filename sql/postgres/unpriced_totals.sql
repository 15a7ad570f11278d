-- Unpriced time of approved shifts (rules.md C2) per service and person, with its first and last
-- dates, for the warnings after an import or a night. The plain `a.unpriced` matches the partial
-- index allocation_unpriced.
select a.service_code, a.person_id, min(a.local_date) as first_date,
       max(a.local_date) as last_date, cast(sum(a.minutes) as bigint) as minutes
from allocation a
join shift s on s.shift_id = a.shift_id
where a.unpriced and s.status = 'approved' and a.person_id is not null
group by a.service_code, a.person_id
