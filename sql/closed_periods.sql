select period, closed_at, how, charge_lines, people, amount_pence
from closed_period order by period
