select person_id, payer_id, amount_pence
from closed_period_total where period = $1
order by person_id, payer_id
