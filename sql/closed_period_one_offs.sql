select person_id, service_code, charge_date, amount_pence
from closed_period_one_off where period = $1
order by person_id, service_code, charge_date
