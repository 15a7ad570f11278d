-- Charged time of approved shifts summed per invoice line (rules.md C5); amounts are computed
-- from these sums, rounding once per line.
select a.person_id, a.local_date, a.service_code, a.band, a.ratio, a.charge_unit,
       a.entry_rate_centipence, a.divisor,
       cast(sum(a.minutes) as bigint) as minutes,
       cast(sum(a.night_units) as bigint) as units
from allocation a
join shift s on s.shift_id = a.shift_id
where s.status = 'approved'
  and a.local_date >= $1 and a.local_date <= $2
  and a.person_id is not null
  and ($3 = '' or a.person_id = $3)
  and (a.charge_unit = 'hour' or (a.charge_unit = 'night' and a.night_units > 0))
group by a.person_id, a.local_date, a.service_code, a.band, a.ratio, a.charge_unit,
         a.entry_rate_centipence, a.divisor
