-- Charged time of approved shifts summed per shift and invoice line (rules.md C5): summed over
-- the shifts, these are the rows of report_charges.sql; per shift, each shift's own charges.
select a.shift_id, s.worker_id, s.shift_ref, s.content_hash,
       a.person_id, a.local_date, a.service_code, a.band, a.ratio, a.charge_unit,
       a.entry_rate_centipence, a.divisor,
       cast(sum(a.minutes) as bigint) as minutes,
       cast(sum(a.night_units) as bigint) as units
from allocation a
join shift s on s.shift_id = a.shift_id
where s.status = 'approved'
  and a.local_date >= $1 and a.local_date <= $2
  and a.person_id is not null
  and (a.charge_unit = 'hour' or (a.charge_unit = 'night' and a.night_units > 0))
group by a.shift_id, s.worker_id, s.shift_ref, s.content_hash,
         a.person_id, a.local_date, a.service_code, a.band, a.ratio, a.charge_unit,
         a.entry_rate_centipence, a.divisor
