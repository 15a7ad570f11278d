insert into run_report (business_date, outcome, started_at, finished_at, summary)
values ($1, $2, $3, $4, $5)
on conflict (business_date, started_at, outcome) do nothing
