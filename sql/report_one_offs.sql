select person_id, service_code, charge_date
from one_off
where charge_date >= $1 and charge_date <= $2 and ($3 = '' or person_id = $3)
