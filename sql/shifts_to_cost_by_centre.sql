-- Shifts whose costs are out of date, counted per cost centre of their worker.
select coalesce(w.cost_centre_id, '') as cost_centre_id, count(*) as shifts
from shift s
left join worker w on w.worker_id = s.worker_id
where s.needs_costing = $1
group by coalesce(w.cost_centre_id, '')
order by 1
